import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { awsClients } from '../src/index.js'

/**
 * Node's timers hold at most 2^31 − 1 ms: `@smithy/node-http-handler` passes the timeouts to
 * `setTimeout`, which sets a longer one to 1 ms (with a `TimeoutOverflowWarning`), so every call
 * of every client timed out at once and was answered as an outage, a 503.
 */
const withTimeout = (option: 'requestTimeout' | 'connectionTimeout', ms: number) => () =>
	awsClients({ clients: { dynamodb: DynamoDBClient }, httpHandler: { [option]: ms } })

describe('httpHandler timeouts beyond what a Node timer holds', () => {
	it.each(['requestTimeout', 'connectionTimeout'] as const)(
		'%s longer than 2^31 − 1 ms is a TypeError at factory time, not a 1 ms timeout',
		(option) => {
			expect(withTimeout(option, 2_147_483_647)).not.toThrow()
			for (const ms of [2_147_483_648, Number.MAX_SAFE_INTEGER]) {
				expect(withTimeout(option, ms)).toThrow(
					expect.objectContaining({
						name: 'TypeError',
						message: expect.stringContaining(`httpHandler.${option}`),
					}),
				)
			}
		},
	)
})
