/**
 * What a reverse proxy or ngrok does for the app: the app believes it is reachable at a public URL
 * (`https://callbridge.test`) and writes that into TwiML and signatures, while it really listens somewhere else
 * (`http://127.0.0.1:41234`). The emulators sign against the public URL and send to the real one.
 */

/** One public origin (with optional base path) and the address it is served from. */
export interface PublicUrlMapping {
  /** What the app thinks it is reachable at, e.g. `https://callbridge.test`. */
  readonly publicUrl: string;
  /** Where it really listens, e.g. `http://127.0.0.1:41234`. */
  readonly appUrl: string;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `https://x` → `wss://x`, `http://x` → `ws://x`. */
function toWs(url: string): string {
  return url.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);
}

/** Compares scheme and host case-insensitively and the path exactly, as URLs are compared. */
function startsWithUrl(url: string, prefix: string): boolean {
  if (url.length < prefix.length) return false;
  const head = url.slice(0, prefix.length);
  const originEnd = prefix.indexOf('/', prefix.indexOf('://') + 3);
  const cut = originEnd === -1 ? prefix.length : originEnd;
  if (head.slice(0, cut).toLowerCase() !== prefix.slice(0, cut).toLowerCase()) return false;
  if (head.slice(cut) !== prefix.slice(cut)) return false;
  const next = url.charAt(prefix.length);
  return next === '' || next === '/' || next === '?' || next === '#';
}

/** Maps public URLs (http(s) and ws(s)) to the address they are really served from. */
export class PublicUrlMap {
  private mappings: PublicUrlMapping[] = [];

  constructor(mappings: readonly PublicUrlMapping[] = []) {
    for (const m of mappings) this.add(m);
  }

  /** Adds (or replaces, for the same public URL) a mapping. */
  add(mapping: PublicUrlMapping): void {
    const m = { publicUrl: trimSlash(mapping.publicUrl), appUrl: trimSlash(mapping.appUrl) };
    this.mappings = [...this.mappings.filter((x) => x.publicUrl.toLowerCase() !== m.publicUrl.toLowerCase()), m];
  }

  /** The real address of `url`; URLs outside every mapping come back unchanged. */
  toReal(url: string): string {
    for (const m of this.mappings) {
      if (startsWithUrl(url, m.publicUrl)) return m.appUrl + url.slice(m.publicUrl.length);
      const wsPublic = toWs(m.publicUrl);
      if (startsWithUrl(url, wsPublic)) return toWs(m.appUrl) + url.slice(wsPublic.length);
    }
    return url;
  }
}
