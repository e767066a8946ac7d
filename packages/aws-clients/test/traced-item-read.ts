import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { type Pipeline, pipeline, roleArn, type Stack, table } from './harness.js'

/**
 * A function traced as Powertools users trace one: `captureLambdaHandler` first, the same
 * `Tracer` given to awsClients, and a handler reading the tenant's item from DynamoDB. Powertools
 * is imported here, on the first call, because the X-Ray SDK reads the sandbox's environment
 * when it is imported: tests set it in `beforeAll`.
 */
export const tracedItemRead = async (
	stack: Stack,
	{ tenantCredentials = false }: { tenantCredentials?: boolean } = {},
) => {
	const { Tracer } = await import('@aws-lambda-powertools/tracer')
	const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware')
	const tracer = new Tracer()
	const { invoke }: Pipeline = pipeline(
		{
			clients: { dynamodb: DynamoDBClient },
			perClient: { dynamodb: { endpoint: stack.dynamodb.endpoint } },
			...(tenantCredentials
				? { tenantCredentials: { roleArn, sts: stack.sts.client({ maxAttempts: 1 }) } }
				: {}),
			tracer,
		},
		async (context) =>
			context.clients.dynamodb.send(
				new GetItemCommand({
					TableName: table,
					Key: { pk: { S: context.tenant.key('item', '1') }, sk: { S: '1' } },
				}),
			),
		{ first: captureLambdaHandler(tracer) },
	)
	return { tracer, invoke }
}
