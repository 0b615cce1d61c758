/**
 * The console's place in its URL fragment, and the token a link brings there: taken from
 * `#token=…` only, never from the query string (sent to servers and kept in their logs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { href, parseRoute, tokenInFragment } from '../../admin/src/route.js';

describe('console routes', () => {
  it('reads the screen, the item and the filters from the fragment', () => {
    expect(parseRoute('#/executions/12')).toMatchObject({ screen: 'executions', id: 12 });
    const list = parseRoute('#/executions?job=archiveJob&status=FAILED&page=2');
    expect(list).toMatchObject({ screen: 'executions', id: null });
    expect(Object.fromEntries(list.query)).toEqual({ job: 'archiveJob', status: 'FAILED', page: '2' });
    for (const other of ['', '#', '#token=abc', '#/', '#/../x', '#main', '#/executions/12/../13']) expect(parseRoute(other), other).toMatchObject({ screen: 'taches', id: null });
  });

  it('property: href and parseRoute agree', () => {
    fc.assert(
      fc.property(fc.constantFrom('taches', 'executions', 'audit'), fc.option(fc.integer({ min: 1, max: 1e12 }), { nil: null }), fc.dictionary(fc.constantFrom('job', 'status', 'page'), fc.string({ minLength: 1 })), (screen, id, query) => {
        const route = parseRoute(href(screen, id, query));
        expect(route.screen).toBe(screen);
        expect(route.id).toBe(id);
        expect(Object.fromEntries(route.query)).toEqual(query);
      }),
    );
  });

  it('takes a token from #token=… and from nothing else', () => {
    expect(tokenInFragment('#token=eyJ.a.b')).toBe('eyJ.a.b');
    expect(tokenInFragment('#token=eyJ.a.b&x=1')).toBe('eyJ.a.b');
    expect(tokenInFragment('#token=')).toBeNull();
    expect(tokenInFragment('#/taches')).toBeNull();
    expect(tokenInFragment('?token=eyJ.a.b')).toBeNull();
    expect(tokenInFragment('#/executions?token=eyJ.a.b')).toBeNull();
  });
});
