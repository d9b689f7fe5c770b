// The body of a successful answer is the JSON of what a function's handle returns, so a timestamp
// may be returned as a Date (JSON makes it its ISO string). `Answer<T>` is what a handle may return
// for T, the type generated from the function's response schema (events/schemas.generated.ts):
// T itself, with a Date allowed for a timestamp (a field named `at` or `...At`, as every one of the
// platform's is). A handle typed so cannot drift from its schema without the type-check failing.
type Field<K, V> = K extends 'at' | `${string}At` ? Answer<V> | Date : Answer<V>;

export type Answer<T> = T extends readonly (infer Item)[] ? ReadonlyArray<Answer<Item>> : T extends object ? { [K in keyof T]: Field<K, T[K]> } : T;
