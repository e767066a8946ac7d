import { DynamoDBDocument, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { awsClients } from '../src/index.js'

/**
 * lib-dynamodb's document clients are made from a client (`DynamoDBDocumentClient.from(…)`),
 * not from a configuration. They have `send`, so they passed the factory's check; built with a
 * configuration on first use, they threw the SDK's "Cannot destructure property 'protocol' of
 * 'config'" TypeError: a 500 of every request that read them, with nothing naming the option.
 * TypeScript refuses them (a protected constructor); JavaScript and casts do not.
 */
describe('a client class made from another client, not from a configuration', () => {
	it.each([
		['DynamoDBDocumentClient', DynamoDBDocumentClient],
		['DynamoDBDocument', DynamoDBDocument],
	])('%s is a TypeError at factory time, naming the option and from()', (name, ClientClass) => {
		expect(() =>
			// @ts-expect-error a protected constructor: TypeScript already refuses it
			awsClients({ clients: { documents: ClientClass } }),
		).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				message: expect.stringMatching(
					new RegExp(`clients\\.documents.*${name}\\.from\\(context\\.clients\\.`),
				),
			}),
		)
	})
})
