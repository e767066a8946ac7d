/** How a presented signature is written on the wire. */
export type SignatureEncoding = 'hex' | 'base64' | 'base64url'

const base64Text = /^[A-Za-z0-9+/]*={0,2}$/
const base64UrlText = /^[A-Za-z0-9_-]*$/

/** Hex digit values by char code; -1 for anything else. Upper-case digits live in their own table. */
const hexTable = (upper: boolean): Int8Array => {
	const table = new Int8Array(128).fill(-1)
	for (let digit = 0; digit < 16; digit++) {
		const text = digit.toString(16)
		table[text.charCodeAt(0)] = digit
		if (upper) table[text.toUpperCase().charCodeAt(0)] = digit
	}
	return table
}
const lowerHexDigits = hexTable(false)
const anyHexDigits = hexTable(true)

/** Hex decoding in one pass that also validates: it runs on every request. */
const decodeHex = (value: string, bytes: number, digits: Int8Array): Uint8Array | undefined => {
	const decoded = new Uint8Array(bytes)
	for (let index = 0; index < bytes; index++) {
		// Char codes >= 128 index past the table and read `undefined`, which fails `>= 0`.
		const high = digits[value.charCodeAt(index * 2)] ?? -1
		const low = digits[value.charCodeAt(index * 2 + 1)] ?? -1
		if (high < 0 || low < 0) return undefined
		decoded[index] = (high << 4) | low
	}
	return decoded
}

/**
 * Decodes a signature of exactly `bytes` bytes, or returns `undefined` for anything else:
 * wrong length, stray characters, non-canonical padding bits. Lengths are checked before
 * any regular expression runs, so a megabyte of garbage costs nothing.
 */
export const decodeSignature = (
	value: string,
	encoding: SignatureEncoding | 'lowerhex',
	bytes: number,
): Uint8Array | undefined => {
	switch (encoding) {
		case 'lowerhex':
		case 'hex':
			return value.length === bytes * 2
				? decodeHex(value, bytes, encoding === 'hex' ? anyHexDigits : lowerHexDigits)
				: undefined
		case 'base64': {
			if (value.length !== Math.ceil(bytes / 3) * 4 || !base64Text.test(value)) return undefined
			const decoded = Buffer.from(value, 'base64')
			return decoded.length === bytes && decoded.toString('base64') === value ? decoded : undefined
		}
		case 'base64url': {
			// Padding is stripped by hand: `/=+$/` is tried from each `=` of a run and reads the whole
			// run each time, quadratic in a header of `=` that ends `x=` (16 KiB cost 0.4 s).
			let end = value.length
			while (end > 0 && value.charCodeAt(end - 1) === 61) end--
			const unpadded = end === value.length ? value : value.slice(0, end)
			if (unpadded.length !== Math.ceil((bytes * 4) / 3) || !base64UrlText.test(unpadded))
				return undefined
			const decoded = Buffer.from(unpadded, 'base64url')
			return decoded.length === bytes && decoded.toString('base64url') === unpadded
				? decoded
				: undefined
		}
	}
}

/**
 * Decodes base64 (padding optional) strictly: only the alphabet, canonical trailing bits.
 * Returns `undefined` when the text is not exactly the encoding of some bytes.
 */
export const decodeBase64Strict = (value: string): Buffer | undefined => {
	if (!base64Text.test(value)) return undefined
	const unpadded = value.replace(/=+$/, '')
	if (unpadded.length % 4 === 1) return undefined
	const decoded = Buffer.from(unpadded, 'base64')
	return decoded.toString('base64').replace(/=+$/, '') === unpadded ? decoded : undefined
}
