// How a route of the registry (`GET /orders/{id}/events`) becomes a Gateway API path match.
//
// Gateway API ranks Exact over PathPrefix matches, but the order of two RegularExpression matches is
// left to each implementation. So the matches are made disjoint instead of ordered: a route whose
// paths another route also takes, and that loses to it (a literal segment wins over a parameter at
// the first segment where the two differ: the runtime's `outranks`, the rule the local gateway
// resolves by), gets a regular expression that leaves those paths out. Every request then matches
// at most one rule, whatever the gateway.
import { outranks } from '../../functions/runtime/route.js';

export type Segment = { literal: string } | { param: string; except: readonly string[] };
/** The paths of one route, as a union of segment lists (one list until another route takes some). */
export interface PathShape {
  segments: readonly Segment[];
}

export interface RoutePath {
  method: string;
  pattern: string;
}

export const segmentsOf = (pattern: string): Segment[] =>
  pattern
    .split('/')
    .slice(1)
    .map((s) => {
      const param = /^\{([a-zA-Z][a-zA-Z0-9]*)\}$/.exec(s);
      return param ? { param: param[1] as string, except: [] } : { literal: s };
    });

const isLiteral = (s: Segment): s is { literal: string } => 'literal' in s;

const overlaps = (shape: readonly Segment[], other: readonly Segment[]): boolean =>
  shape.length === other.length &&
  shape.every((s, i) => {
    const o = other[i] as Segment;
    if (isLiteral(s) && isLiteral(o)) return s.literal === o.literal;
    if (!isLiteral(s) && isLiteral(o)) return !s.except.includes(o.literal);
    return true;
  });

/** The paths of `shape` that `other` does not take, as shapes: one per segment where a literal of `other` can be excluded. */
const subtract = (shape: readonly Segment[], other: readonly Segment[]): Segment[][] => {
  if (!overlaps(shape, other)) return [[...shape]];
  return shape.flatMap((s, i) => {
    const o = other[i] as Segment;
    if (isLiteral(s) || !isLiteral(o)) return [];
    return [shape.map((x, j) => (j === i ? { param: s.param, except: [...s.except, o.literal].sort() } : x))];
  });
};

/** The shapes of `route` once every route of the same method that wins over it has taken its paths. */
export const pathShapes = (route: RoutePath, all: readonly RoutePath[]): Segment[][] => {
  const own = segmentsOf(route.pattern);
  let shapes: Segment[][] = [own];
  for (const other of all) {
    if (other === route || other.method !== route.method) continue;
    const theirs = segmentsOf(other.pattern);
    if (!outranks(other.pattern, route.pattern)) {
      if (!outranks(route.pattern, other.pattern) && overlaps(own, theirs))
        throw new Error(`${route.method} ${route.pattern} and ${other.pattern} take the same paths`);
      continue;
    }
    shapes = shapes.flatMap((shape) => subtract(shape, theirs));
  }
  if (shapes.length === 0) throw new Error(`${route.method} ${route.pattern}: every path it takes goes to another route`);
  return shapes;
};

const escapeLiteral = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeInClass = (c: string): string => (/[\\\]^[-]/.test(c) ? `\\${c}` : c);

interface Trie {
  end: boolean;
  next: Map<string, Trie>;
}

const trieOf = (words: readonly string[]): Trie => {
  const root: Trie = { end: false, next: new Map() };
  for (const word of words) {
    let node = root;
    for (const c of word) {
      const child = node.next.get(c) ?? { end: false, next: new Map<string, Trie>() };
      node.next.set(c, child);
      node = child;
    }
    node.end = true;
  }
  return root;
};

// What may follow the characters read so far so that the segment is none of the excluded words.
const remainder = (node: Trie, mayEnd: boolean): string => {
  const chars = [...node.next.keys()].sort();
  const alternatives = [
    `[^/${chars.map(escapeInClass).join('')}][^/]*`,
    ...chars.map((c) => escapeLiteral(c) + remainder(node.next.get(c) as Trie, !(node.next.get(c) as Trie).end)),
  ];
  return `(?:${alternatives.join('|')})${mayEnd ? '?' : ''}`;
};

/** An RE2 (and JavaScript) expression for one non-empty path segment that is none of `words`. */
export const segmentExcept = (words: readonly string[]): string => (words.length === 0 ? '[^/]+' : remainder(trieOf(words), false));

const shapeRegex = (shape: readonly Segment[]): string => shape.map((s) => `/${isLiteral(s) ? escapeLiteral(s.literal) : segmentExcept(s.except)}`).join('');

/** Gateway API path matches of `route`: Exact for a route without parameters, else one RegularExpression (full match, optional trailing slash). */
export const pathMatches = (route: RoutePath, all: readonly RoutePath[]): { type: 'Exact' | 'RegularExpression'; value: string }[] => {
  const shapes = pathShapes(route, all);
  if (shapes.length === 1 && (shapes[0] as Segment[]).every(isLiteral)) {
    return [
      { type: 'Exact', value: route.pattern },
      { type: 'Exact', value: `${route.pattern}/` },
    ];
  }
  const body = shapes.length === 1 ? shapeRegex(shapes[0] as Segment[]) : `(?:${shapes.map(shapeRegex).join('|')})`;
  return [{ type: 'RegularExpression', value: `${body}/?` }];
};
