// The embedded PostgreSQL's wire: PGlite is one PostgreSQL backend in WASM; this shares it between
// many pg clients, in this process (a pg stream, no socket) and over a loopback socket (other
// tools), speaking the PostgreSQL protocol it already speaks.
//
// A client's messages are run as whole units: everything up to a Sync, a simple Query or a Flush
// goes to PGlite in one call, which answers the unit at once. Two clients' Parse/Bind/Execute can
// therefore never interleave, and a query costs one call instead of one per message (a
// parameterised query is five). A transaction belongs to the client that began it: while it is
// open, only that client's units run; the others wait their turn. A client that goes away in the
// middle of its transaction has it rolled back.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** Message types that end a unit: Sync, Query, Flush. */
const UNIT_ENDS = new Set(['S', 'Q', 'H'].map((c) => c.charCodeAt(0)));
const TERMINATE = 'X'.charCodeAt(0);
const FLUSH = 'H'.charCodeAt(0);

interface Unit {
  session: Session;
  /** Protocol bytes to run, or undefined: the session ended (roll back what it left open). */
  bytes: Uint8Array | undefined;
  /** Ends with a Flush: the statement's implicit transaction stays open until the client's Sync. */
  flushed?: boolean;
}

/** Runs the units of every session on PGlite one at a time, in order, minding open transactions. */
export class PgliteBackend {
  private readonly queue: Unit[] = [];
  /** The session whose transaction is open. */
  private owner: Session | undefined;
  private running = false;

  constructor(readonly db: PGlite) {}

  /** A new client session; `send` gets PGlite's answers, `end` is called when the session must close. */
  session(send: (bytes: Uint8Array) => void, end: (error?: Error) => void): Session {
    return new Session(this, send, end);
  }

  enqueue(unit: Unit): void {
    this.queue.push(unit);
    void this.pump();
  }

  private next(): Unit | undefined {
    const at = this.owner ? this.queue.findIndex((u) => u.session === this.owner) : 0;
    return at < 0 ? undefined : this.queue.splice(at, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let unit = this.next(); unit; unit = this.next()) await this.run(unit);
    } finally {
      this.running = false;
    }
  }

  private async run({ session, bytes, flushed }: Unit): Promise<void> {
    if (bytes === undefined) {
      // Ended: whatever it left queued is void, and so is its open transaction.
      for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]?.session === session) this.queue.splice(i, 1);
      if (this.owner === session) {
        this.owner = undefined;
        await this.db.exec('ROLLBACK').catch(() => undefined);
      }
      return;
    }
    if (session.closed) return;
    try {
      const answer = await this.db.runExclusive(() => this.db.execProtocolRaw(bytes));
      this.owner = flushed || this.db.isInTransaction() ? session : undefined;
      if (answer.length > 0) session.answer(answer);
    } catch (error) {
      // PGlite itself failed (not an SQL error, which is an answer): this client cannot go on.
      this.owner = this.db.isInTransaction() ? session : undefined;
      session.fail(error instanceof Error ? error : new Error(`embedded PostgreSQL failed: ${JSON.stringify(error)}`));
    }
  }
}

/** One client's side of the wire: cuts its bytes into messages and its messages into units. */
export class Session {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private started = false;
  closed = false;

  constructor(
    private readonly backend: PgliteBackend,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly end: (error?: Error) => void,
  ) {}

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (!this.closed) {
      if (!this.started) {
        // Before the startup message: length, then a code (no type byte).
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        const message = this.take(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.send(Buffer.from('N'));
        } else if (code === CANCEL_REQUEST) {
          // Queries cannot be cancelled here: one unit runs to its end.
          this.close();
        } else {
          this.started = true;
          this.backend.enqueue({ session: this, bytes: message });
        }
        continue;
      }
      if (this.buffer.length < 5) return;
      const size = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < size) return;
      const type = this.buffer[0] as number;
      const message = this.take(size);
      if (type === TERMINATE) {
        this.close();
        return;
      }
      this.pending.push(message);
      if (UNIT_ENDS.has(type)) {
        const bytes = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
        this.pending = [];
        this.backend.enqueue({ session: this, bytes, flushed: type === FLUSH });
      }
    }
  }

  private take(size: number): Buffer {
    const message = this.buffer.subarray(0, size);
    this.buffer = this.buffer.subarray(size);
    return message;
  }

  answer(bytes: Uint8Array): void {
    if (!this.closed) this.send(bytes);
  }

  fail(error: Error): void {
    if (this.closed) return;
    this.close();
    this.end(error);
  }

  /** The client is gone or said goodbye: its open transaction is rolled back, in turn. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backend.enqueue({ session: this, bytes: undefined });
    this.end();
  }
}

/**
 * A pg connection's stream to the backend, in this process: what pg writes is the client's side
 * of a session, what the session answers is what pg reads. Stands in for a net.Socket, so it
 * answers the few socket calls pg makes.
 */
export class PgliteStream extends Duplex {
  private readonly wire: Session;

  constructor(backend: PgliteBackend) {
    super();
    this.wire = backend.session(
      (bytes) => this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      (error) => {
        if (this.destroyed) return;
        if (error) this.destroy(error);
        else this.push(null);
      },
    );
  }

  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.wire.receive(chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.wire.close();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.wire.close();
    done(error);
  }
}

/** Serves the backend on a loopback port, for clients outside this process (psql, other tools). */
export const servePglite = async (backend: PgliteBackend, host = '127.0.0.1'): Promise<{ server: Server; port: number; stop(): Promise<void> }> => {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const wire = backend.session(
      (bytes) => socket.write(bytes),
      (error) => (error ? socket.destroy(error) : socket.end()),
    );
    socket.on('data', (chunk: Buffer) => wire.receive(chunk));
    socket.on('error', () => wire.close());
    socket.on('close', () => {
      sockets.delete(socket);
      wire.close();
    });
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, host, () => listening());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
};
