const encodePart = (part: unknown): string =>
	Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url')

/**
 * Assembles a compact JWS from raw parts without signing, for hostile-input tests:
 * `alg: none`, broken JSON, forged signatures. Strings are used as they are (so
 * `'{"alg":'` makes a header that is not JSON); objects are serialised.
 */
export const assembleJwt = (header: unknown, payload: unknown, signature = ''): string =>
	`${encodePart(header)}.${encodePart(payload)}.${signature}`
