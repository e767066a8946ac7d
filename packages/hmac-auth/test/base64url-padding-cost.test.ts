import { httpApiEvent } from '@tenantry/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { decodeSignature } from '../src/encoding.js'
import type { CustomScheme } from '../src/index.js'
import { fakeClock, harness, lastReason, unauthorizedResponse } from './helpers.js'

/**
 * A base64url signature had its trailing `=` stripped by `/=+$/` before its length was checked.
 * That expression is tried from every position of the text, and each attempt runs through the
 * whole run of `=` that follows before failing at a character that is not one: a header of `=`
 * with one other character before the last is quadratic work. Measured on the code before the
 * fix: 4 KiB 23 ms, 16 KiB (an ALB header line) 0.4 s, 64 KiB (ALB's header block, or a
 * Function URL) 5 s, 256 KiB (a direct invocation) 73 s of CPU, before any tenant is known.
 * Here no regular expression may see more of a presented signature than a signature's length;
 * the texts below are kept small so the old code fails in milliseconds, not seconds.
 */

/** Lengths of every string a regular expression ran on, while `run` runs. */
const regexInputLengths = async (run: () => unknown): Promise<number[]> => {
	const lengths: number[] = []
	const exec = RegExp.prototype.exec
	// `test`, `replace`, `match` and `split` all go through `exec` once it is replaced (the
	// spec's RegExpExec reads it), so this sees every regular expression, built-in or not.
	const spy = vi.spyOn(RegExp.prototype, 'exec').mockImplementation(function (
		this: RegExp,
		text: string,
	) {
		lengths.push(String(text).length)
		return exec.call(this, text)
	})
	try {
		await run()
	} finally {
		spy.mockRestore()
	}
	return lengths
}

/** Longest text a regular expression may read: a sha512 signature in padded base64. */
const longestSignature = 88

/** `=` everywhere, and one character that is not `=` just before the last: the worst case. */
const hostile = (length: number): string => `${'='.repeat(length - 2)}x=`

afterEach(() => {
	vi.restoreAllMocks()
})

describe('a base64url signature padded with a run of =', () => {
	it('is refused by its length before any regular expression reads it', async () => {
		for (const value of [hostile(4_096), `${'A'.repeat(43)}${'='.repeat(4_000)}`]) {
			const lengths = await regexInputLengths(() => decodeSignature(value, 'base64url', 32))
			expect(Math.max(0, ...lengths)).toBeLessThanOrEqual(longestSignature)
		}
	})

	it('still reads a canonical signature with or without its padding, and refuses a stray =', () => {
		const bytes = Buffer.alloc(64, 7)
		const url = bytes.toString('base64url')
		expect(Buffer.from(decodeSignature(url, 'base64url', 64) ?? [])).toEqual(bytes)
		expect(Buffer.from(decodeSignature(`${url}==`, 'base64url', 64) ?? [])).toEqual(bytes)
		expect(decodeSignature(`${url.slice(0, 40)}=${url.slice(41)}`, 'base64url', 64)).toBe(undefined)
		expect(decodeSignature(hostile(4_096), 'base64url', 64)).toBeUndefined()
	})

	it('costs an unauthenticated request no regex work over the header: 401 malformed signature', async () => {
		const clock = fakeClock()
		const secrets = vi.fn(async () => 'a tenant secret')
		const scheme: CustomScheme = {
			canonicalize: ({ header, body }) => ({
				signatures: [header('x-sig') ?? ''],
				content: body,
				timestamp: header('x-ts'),
			}),
			encoding: 'base64url',
		}
		const h = harness({ scheme, secrets, now: clock.now })
		const event = httpApiEvent({
			method: 'POST',
			body: 'payload',
			headers: {
				'x-sig': hostile(4_096),
				'x-ts': String(clock.now() / 1000),
				'x-tenant-id': 'acme',
			},
		})
		let response: unknown
		const lengths = await regexInputLengths(async () => {
			response = await h.handler(event)
		})
		expect(response).toEqual(unauthorizedResponse())
		expect(lastReason(h)).toBe('hmac_malformed_signature')
		expect(secrets).not.toHaveBeenCalled()
		expect(Math.max(0, ...lengths)).toBeLessThan(4_096)
	})
})
