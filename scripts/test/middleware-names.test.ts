import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

type Module = Record<string, unknown>
type Factory = (options: Record<string, unknown>) => { name?: unknown }

/** Each middleware factory with the least options it takes. */
const middlewares: Record<string, [factory: string, minimal: (module: Module) => object]> = {
	'aws-clients': [
		'awsClients',
		() => ({
			clients: {
				dynamodb: class Client {
					send() {}
				},
			},
			config: { region: 'eu-west-1' },
		}),
	],
	'hmac-auth': ['hmacAuth', () => ({ secrets: { prefix: 'tenants' } })],
	'jwt-auth': [
		'jwtAuth',
		() => ({ issuers: { issuer: 'https://id.example.com', audience: 'api' }, prefetch: false }),
	],
	'rate-limit': [
		'tenantRateLimit',
		(m) => ({ store: (m.memoryRateLimitStore as () => unknown)() }),
	],
	'tenant-isolation': ['tenantIsolation', () => ({})],
}

/**
 * A middleware object's `name` is how a user (or a middy plugin) tells the middlewares of a chain
 * apart: every one has it, spelt as the factory that made it.
 */
describe.each(Object.keys(middlewares))('@tenantry/%s', (name) => {
	it('names its middleware object after its factory', async () => {
		const [factory, minimal] = middlewares[name] as [string, (module: Module) => object]
		const module = (await import(join(root, 'packages', name, 'src/index.ts'))) as Module
		const middleware = (module[factory] as Factory)(minimal(module) as Record<string, unknown>)
		expect(middleware.name).toBe(factory)
	})
})
