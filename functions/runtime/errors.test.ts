import { describe, expect, it } from 'vitest';
import { Conflict, NotFound, TooManyRequests, Unavailable, ValidationError, problemFor, problemHeaders, unreachable, writing } from './errors.js';

describe('the status table', () => {
  it('maps typed errors to their status and a stable problem type', () => {
    expect(problemFor(new NotFound('x'))).toMatchObject({ status: 404, type: 'https://gotuto.dev/problems/not-found', detail: 'x' });
    expect(problemFor(new Conflict('x')).status).toBe(409);
    expect(problemFor(new ValidationError('bad', [{ pointer: '/a', message: 'is required' }]))).toMatchObject({ status: 422, errors: [{ pointer: '/a' }] });
    expect(problemHeaders(new TooManyRequests('slow down', 60))).toEqual({ 'retry-after': '60' });
    expect(problemHeaders(new Unavailable('down', 5))).toEqual({ 'retry-after': '5' });
  });

  it('maps PostgreSQL errors that mean something to the caller, never leaking the rest', () => {
    const pg = (code: string) => Object.assign(new Error('duplicate key value violates unique constraint "x"'), { code, severity: 'ERROR' });
    expect(problemFor(pg('23505')).status).toBe(409);
    expect(problemFor(pg('40001')).status).toBe(409);
    expect(problemFor(pg('22021')).status).toBe(422);
    expect(problemFor(pg('57P01')).status).toBe(503);
    expect(problemFor(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).status).toBe(503);
    const unknown = problemFor(pg('XX000'));
    expect(unknown.status).toBe(500);
    expect(unknown.detail).not.toMatch(/constraint/);
  });
});

describe('writing', () => {
  const refused = (code: string, constraint?: string) => Object.assign(new Error('refused'), { code, constraint, severity: 'ERROR' });

  it("turns the refusals a store names into that store's errors, with the constraint", async () => {
    const taken = (constraint: string | undefined) => new Conflict(`taken (${constraint})`);
    await expect(writing(() => Promise.reject(refused('23505', 'clients_email_key')), { unique: taken })).rejects.toThrow('taken (clients_email_key)');
    await expect(writing(() => Promise.reject(refused('23503')), { foreignKey: () => new ValidationError('no parent') })).rejects.toThrow('no parent');
    await expect(writing(() => Promise.resolve(7), { unique: taken })).resolves.toBe(7);
  });

  it('lets every other database error go on to the one table unchanged', async () => {
    const nul = refused('22021');
    await expect(writing(() => Promise.reject(nul), { unique: () => new Conflict('taken') })).rejects.toBe(nul);
    await expect(writing(() => Promise.reject(refused('23505')))).rejects.toMatchObject({ code: '23505' });
    expect(problemFor(nul).status).toBe(422);
  });
});

describe('unreachable', () => {
  it('throws, naming the value the types ruled out', () => {
    expect(() => unreachable({ status: 'lost' } as never)).toThrow('unexpected value {"status":"lost"}');
  });
});
