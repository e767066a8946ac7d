import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { awsClients } from '../src/index.js'

describe('the tracer option', () => {
	it('is refused at factory time when it is null, with a TypeError naming it', () => {
		expect(() =>
			awsClients({ clients: { dynamodb: DynamoDBClient }, tracer: null as never }),
		).toThrow(
			expect.objectContaining({
				name: 'TypeError',
				cause: { package: '@tenantry/aws-clients', option: 'tracer' },
			}),
		)
	})
})
