/**
 * Redaction of credentials from text that may leave the process: error messages, stack traces, audit
 * rows, log fields. Pure and deterministic (no imports), so workflow code may use it too.
 *
 * Why here and not only at the clients: a presigned upload URL carries its signature in the query
 * string, and libraries quote URLs in their own errors (ky: "Request timed out: PUT https://…?X-Amz-
 * Signature=…"). Those messages travel on as `cause`, into Temporal histories, `tasks.error` and the
 * worker's logs. So every URL in outgoing text loses its user-info, query and fragment, and the usual
 * credential spellings in bodies that echo a request (S3's SignatureDoesNotMatch, JSON `apiKey`) are masked.
 */

export const REDACTED = '[redacted]';

// scheme://authority path ?query #fragment — stops at whitespace, quotes and brackets that end a URL in prose/JSON/XML.
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]{0,30}):\/\/([^\s/?#"'<>`\\]*)([^\s?#"'<>`\\]*)(\?[^\s#"'<>`\\]*)?(#[^\s"'<>`\\]*)?/gi;

// A key that names a credential, as the last word of the key: X-Amz-Signature, X-Goog-Credential, sig (Azure SAS),
// token, api_key, password, client_secret, X-Amz-Security-Token. `max_tokens` does not match (ends in "tokens").
const SECRET_KEY = String.raw`[\w.-]*?(?:signature|sig|token|secret|password|passwd|pwd|api[-_]?key|apikey|credential|authorization)`;
/** `key=value` as in a canonical query string echoed without its "?" (S3 error bodies). */
const SECRET_ASSIGNMENT = new RegExp(String.raw`(^|[^\w.-])(${SECRET_KEY})=([^&\s"'<>]+)`, 'gi');
/** `"apiKey": "…"` in JSON (Runware's authentication task, echoed request bodies). */
const SECRET_JSON_FIELD = new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*")((?:[^"\\]|\\.)*)"`, 'gi');
/** `<SignatureProvided>…</SignatureProvided>`, `<StringToSign>`, `<CanonicalRequest>` in S3/MinIO XML errors. */
const SECRET_XML_ELEMENT = /<((?:[\w-]*(?:Signature|Token|Secret|Password|Credential)[\w-]*)|StringToSign|StringToSignBytes|CanonicalRequest|CanonicalRequestBytes)>[\s\S]*?<\/\1>/gi;
/** Bearer credentials quoted in messages (an Authorization header echoed by a proxy). */
const AUTH_SCHEME = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/gi;

/**
 * A URL fit for an error message: scheme, host, port and path are kept (they say where it failed);
 * user-info (`user:password@`), the query string (presigned signatures, SAS tokens, API keys) and the
 * fragment are dropped. A dropped query is marked with `?[redacted]` so a reader knows there was one.
 */
export function redactUrl(url: string): string {
  return url.replace(URL_IN_TEXT, redactUrlMatch);
}

function redactUrlMatch(_match: string, scheme: string, authority: string, path: string, query?: string): string {
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : authority.slice(at + 1);
  return `${scheme}://${host}${path}${query ? `?${REDACTED}` : ''}`;
}

/**
 * Removes credentials from free text: every URL is passed through {@link redactUrl}, credential-named
 * `key=value` pairs, JSON fields and XML elements are masked, `Bearer …` values are dropped, and each of
 * the given known secrets (at least 6 characters, to avoid masking common words) is replaced.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(URL_IN_TEXT, redactUrlMatch)
    .replace(SECRET_XML_ELEMENT, (_m, tag: string) => `<${tag}>${REDACTED}</${tag}>`)
    .replace(SECRET_JSON_FIELD, (_m, head: string) => `${head}${REDACTED}"`)
    .replace(SECRET_ASSIGNMENT, (_m, before: string, key: string) => `${before}${key}=${REDACTED}`)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}

/**
 * The secret parts of one URL — its password and every query value of 6 characters or more — so a body that
 * echoes them without any label (a server quoting the signature it rejected) can be masked with {@link redactText}.
 */
export function secretsOfUrl(url: string): string[] {
  const out: string[] = [];
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)[^?#]*(?:\?([^#]*))?/i.exec(url);
  if (!match) return out;
  const authority = match[1] ?? '';
  const at = authority.lastIndexOf('@');
  if (at !== -1) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon !== -1) out.push(userInfo.slice(colon + 1));
  }
  for (const pair of (match[2] ?? '').split('&')) {
    const eq = pair.indexOf('=');
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (value.length < 6) continue;
    out.push(value);
    try {
      const decoded = decodeURIComponent(value.replace(/\+/g, ' '));
      if (decoded !== value) out.push(decoded);
    } catch {
      // Not valid percent-encoding: the raw form is all a body could echo.
    }
  }
  return out.filter((s) => s.length >= 6);
}

/** How deep a cause chain is copied; deeper links are dropped (they are library internals). */
export const MAX_CAUSE_DEPTH = 6;

/**
 * A copy of one error with its message and stack redacted and the given cause, and nothing else: no own
 * properties such as ky's `request` or Bun's `path` (the full URL), which a logger's util.inspect would print.
 */
export function redactedErrorNode(err: unknown, cause: Error | undefined): Error {
  if (!(err instanceof Error)) return new Error(redactText(String(err)), cause ? { cause } : undefined);
  const copy = new Error(redactText(err.message), cause ? { cause } : undefined);
  Object.defineProperty(copy, 'name', { value: err.name, enumerable: false, configurable: true, writable: true });
  copy.stack = redactText(err.stack ?? `${err.name}: ${err.message}`);
  return copy;
}

/** {@link redactedErrorNode} along the whole cause chain (up to {@link MAX_CAUSE_DEPTH} links). */
export function redactedErrorChain(err: unknown, depth = 0): Error | undefined {
  if (err === undefined || err === null || depth >= MAX_CAUSE_DEPTH) return undefined;
  const cause = err instanceof Error ? redactedErrorChain((err as { cause?: unknown }).cause, depth + 1) : undefined;
  return redactedErrorNode(err, cause);
}
