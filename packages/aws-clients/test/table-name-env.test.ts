import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { afterEach, describe, expect, it } from 'vitest'
import { awsClients } from '../src/index.js'

/**
 * Templates often pass an optional setting through as an empty variable
 * (`DYNAMODB_TABLE_NAME: !If [HasTable, !Ref Table, '']`). Read as a table name, '' made every
 * awsClients() throw at cold start, naming a `tableName` option nobody gave, even in a function
 * whose clients never touch DynamoDB.
 */
describe('an empty DYNAMODB_TABLE_NAME', () => {
	afterEach(() => {
		delete process.env.DYNAMODB_TABLE_NAME
	})

	it('is read as not set: context.tableName is undefined, the factory does not throw', () => {
		process.env.DYNAMODB_TABLE_NAME = ''
		const middleware = awsClients({ clients: { secrets: SecretsManagerClient } })
		const context = {} as { tableName?: string; tenant?: undefined }
		middleware.before?.({ event: {}, context, response: undefined, error: undefined } as never)
		expect(context).toMatchObject({ tableName: undefined })
	})
})
