// The same runtime scenarios on the embedded default (PGlite served to pg over a socket), so the
// path every developer's `npm start` takes is tested even where DATABASE_URL points at a server.
delete process.env.DATABASE_URL;
await import('./runtime.test.js');
