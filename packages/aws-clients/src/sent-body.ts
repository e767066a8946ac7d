import { own } from '@tenantry/util'

const utf8 = new TextDecoder('utf-8', { fatal: true })

const quote = 0x22
const backslash = 0x5c
const colon = 0x3a

/** Members a JSON text writes: one `:` outside its strings each, however it is spaced or escaped. */
const membersWritten = (text: string): number => {
	let members = 0
	let inString = false
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i)
		if (inString) {
			if (code === backslash) i++
			else if (code === quote) inString = false
		} else if (code === quote) inString = true
		else if (code === colon) members++
	}
	return members
}

/**
 * Members a parsed JSON value holds, nested ones included. Own keys only (`Object.values`): an
 * enumerable property on `Object.prototype` must not make up for a member a duplicate took away.
 * A stack, not recursion: a body may nest deeper than the call stack goes. No closure: this runs
 * on every guarded send.
 */
const membersParsed = (value: unknown): number => {
	let members = 0
	const pending: unknown[] = [value]
	while (pending.length > 0) {
		const next = pending.pop()
		if (typeof next !== 'object' || next === null) continue
		if (Array.isArray(next)) {
			for (const element of next) pending.push(element)
			continue
		}
		const values = Object.values(next)
		members += values.length
		for (const nested of values) pending.push(nested)
	}
	return members
}

/**
 * The body a serialised request sends, as DynamoDB reads it, or `undefined` when it cannot be
 * read unambiguously. The SDK's serializer writes some member names unescaped (the keys of an
 * attribute value, the extra keys of a structure that has a `__type`), so a name with a quote
 * in it, which request data can carry, adds members of its own that the input does not show: a
 * second `pk` after the one in the input. JSON readers differ on a member written twice (the
 * last one wins here), so a body that names one twice in an object, whose parse holds fewer
 * members than the text writes, reads as nothing; so does one that is not UTF-8 JSON.
 */
export const sentBody = (request: unknown): unknown => {
	const body = own(request, 'body')
	try {
		const text =
			typeof body === 'string' ? body : body instanceof Uint8Array ? utf8.decode(body) : ''
		const parsed: unknown = JSON.parse(text)
		return membersParsed(parsed) === membersWritten(text) ? parsed : undefined
	} catch {
		return undefined
	}
}
