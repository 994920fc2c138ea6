/**
 * `GET /calls` cursors: the id of the last call on a page, base 36. Opaque to clients; ids only grow, so a page
 * never repeats or skips a call that existed when the first page was read (keyset paging).
 */
export function encodeCursor(id: number): string {
  return id.toString(36);
}

/** The id a cursor stands for; undefined for none or one this store never issued. */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || !/^[0-9a-z]{1,16}$/.test(cursor)) return undefined;
  const id = Number.parseInt(cursor, 36);
  return Number.isSafeInteger(id) ? id : undefined;
}
