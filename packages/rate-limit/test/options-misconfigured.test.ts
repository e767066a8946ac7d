import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { dynamoRateLimitStore, memoryRateLimitStore, tenantRateLimit } from '../src/index.js'

// Never called: every case here must be refused before a request is seen.
const client = { send: async () => ({}) } as unknown as DynamoDBClient

const optionError = (option: string) =>
	expect.objectContaining({
		name: 'TypeError',
		cause: { package: '@tenantry/rate-limit', option },
	})

describe('dynamoRateLimitStore: a table name DynamoDB refuses', () => {
	// DynamoDB answers ValidationException to every write naming such a table, and with the
	// default onStoreError 'allow' each of those is a request let through: rate limiting off,
	// with one log line per window to tell.
	it.each([
		['a shell variable left unexpanded', '$RATE_LIMIT_TABLE'],
		['an env var read with its line break', 'rate-limits\n'],
		['padding around the name', ' rate-limits '],
		['blanks only', '   '],
		['a space inside', 'rate limits'],
		['longer than 255 characters', 'r'.repeat(256)],
	])('refuses %s when the store is built', (_, tableName) => {
		expect(() => dynamoRateLimitStore({ tableName, client })).toThrow(
			optionError('store.tableName'),
		)
	})

	it.each([
		['a plain name', 'rate-limits'],
		['dots and underscores', 'app.rate_limits-v2'],
		['the longest name', 'r'.repeat(255)],
		['a table ARN', 'arn:aws:dynamodb:eu-west-1:123456789012:table/rate-limits'],
		['a table ARN in China', 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/rate-limits'],
	])('accepts %s', (_, tableName) => {
		expect(() => dynamoRateLimitStore({ tableName, client })).not.toThrow()
	})
})

describe('tenantRateLimit: a limit with a key it does not read', () => {
	const store = memoryRateLimitStore()

	// A key left unread changes nothing, so the limit is not the one the caller wrote: `name`
	// inside the limit leaves two stacked limits of one window counting in one counter, and a
	// misspelt `windowSecs` next to a `windowSec` kept from a copied default is never seen.
	it.each([
		['name', { requests: 10, windowSec: 60, name: 'burst' }],
		['burst', { requests: 10, windowSec: 60, burst: 20 }],
		['windowSecs', { requests: 10, windowSec: 60, windowSecs: 1 }],
	])('refuses limits.%s when the middleware is built', (key, limits) => {
		expect(() => tenantRateLimit({ store, limits } as never)).toThrow(optionError(`limits.${key}`))
	})

	it.each([
		['null', null],
		['a number', 100],
		['an array', [10, 60]],
	])('refuses limits given as %s, naming the option', (_, limits) => {
		expect(() => tenantRateLimit({ store, limits } as never)).toThrow(optionError('limits'))
	})

	it('still accepts exactly { requests, windowSec }', () => {
		expect(() => tenantRateLimit({ store, limits: { requests: 10, windowSec: 60 } })).not.toThrow()
	})
})

describe('dynamoRateLimitStore: a client of another service', () => {
	// A Secrets Manager (or STS) client sends UpdateItem to its own endpoint, which refuses every
	// write: with the default onStoreError 'allow', rate limiting is off, one log line per window.
	const otherService = {
		send: async () => ({}),
		config: { serviceId: 'Secrets Manager' },
	} as unknown as DynamoDBClient

	it('is refused when the store is built, naming the service it is for', () => {
		expect(() => dynamoRateLimitStore({ tableName: 'rate-limits', client: otherService })).toThrow(
			optionError('store.client'),
		)
		expect(() => dynamoRateLimitStore({ tableName: 'rate-limits', client: otherService })).toThrow(
			"option 'store.client' must be a DynamoDBClient, not a client of Secrets Manager",
		)
	})

	it('accepts a DynamoDB client', () => {
		const dynamodb = { send: async () => ({}), config: { serviceId: 'DynamoDB' } }
		expect(() =>
			dynamoRateLimitStore({
				tableName: 'rate-limits',
				client: dynamodb as unknown as DynamoDBClient,
			}),
		).not.toThrow()
	})
})
