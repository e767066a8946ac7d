import { stripVTControlCharacters } from 'node:util'
import { type LocalStack, startLocalStack } from '@tenantry/testing'
import tenantApi from '../examples/tenant-api/demo.js'
import tenantAuthorizer from '../examples/tenant-authorizer/demo.js'
import webhookIngest from '../examples/webhook-ingest/demo.js'
import type { DemoScenario, DemoSection } from './demo-kit.js'

/**
 * `pnpm demo`: the example handlers, invoked with real events against a local AWS stack on
 * 127.0.0.1 (dynalite, Secrets Manager and STS endpoints, an OpenID provider). Every row states
 * what it must get; the demo exits non-zero if any row gets something else.
 */
const scenarios: DemoScenario[] = [tenantApi, webhookIngest, tenantAuthorizer]

const tty = process.stdout.isTTY === true
const color = (code: number) => (text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text)
const [green, red, dim, bold] = [color(32), color(31), color(2), color(1)]

const withProgress = async <T>(label: string, work: Promise<T>): Promise<T> => {
	if (!tty) {
		console.log(`… ${label}`)
		return work
	}
	const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
	let frame = 0
	const timer = setInterval(
		() => process.stdout.write(`\r${frames[frame++ % frames.length]} ${label}`),
		80,
	)
	try {
		return await work
	} finally {
		clearInterval(timer)
		process.stdout.write('\r\u001b[2K')
	}
}

interface Counters {
	jwks: number
	secrets: number
	sts: number
	dynamodb: number
}

const countersOf = (stack: LocalStack): Counters => ({
	jwks: stack.identityProvider.jwksCalls(),
	secrets: stack.secretsManager.calls(),
	sts: stack.sts.assumeRoleCalls.length,
	dynamodb: stack.dynamodb.requests.length,
})

const pad = (text: string, width: number, alignRight = false) => {
	const fill = ' '.repeat(Math.max(0, width - [...text].length))
	return alignRight ? fill + text : text + fill
}

const printSection = async (stack: LocalStack, section: DemoSection): Promise<number> => {
	console.log(`\n${bold(section.title)}\n${dim(section.chain)}`)
	const header = ['', 'request', 'expected', 'got', 'ms', 'JWKS', 'secrets', 'STS', 'DynamoDB']
	const rows: string[][] = []
	let failures = 0
	for (const row of section.rows) {
		const before = countersOf(stack)
		const started = performance.now()
		let got: string | number
		try {
			got = await row.run()
		} catch (error) {
			got = `threw ${(error as Error).name}`
		}
		const elapsed = performance.now() - started
		const after = countersOf(stack)
		const ok = String(got) === String(row.expected)
		if (!ok) failures++
		rows.push([
			ok ? green('✓') : red('✗'),
			row.request,
			String(row.expected),
			ok ? String(got) : red(String(got)),
			elapsed.toFixed(1),
			String(after.jwks - before.jwks),
			String(after.secrets - before.secrets),
			String(after.sts - before.sts),
			String(after.dynamodb - before.dynamodb),
		])
	}
	const widths = header.map((title, column) =>
		Math.max(
			title.length,
			...rows.map((row) => stripVTControlCharacters(row[column] ?? '').length),
		),
	)
	const numeric = new Set([4, 5, 6, 7, 8])
	const line = (cells: string[]) =>
		`  ${cells.map((cell, column) => pad(cell, (widths[column] ?? 0) + cell.length - stripVTControlCharacters(cell).length, numeric.has(column))).join('  ')}`
	console.log(dim(line(header)))
	for (const row of rows) console.log(line(row))
	return failures
}

// The handlers log every refusal they answer (as they would to CloudWatch); the tables say it all.
console.error = () => undefined
console.warn = () => undefined

const started = performance.now()
const stack = await withProgress(
	'starting the local stack: dynalite, Secrets Manager, STS, OpenID provider, X-Ray…',
	startLocalStack(),
)
stack.applyEnv()
console.log(
	`${green('✓')} local stack on 127.0.0.1 ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
)
console.log(
	dim('  columns JWKS, secrets, STS, DynamoDB: calls each request caused on the local stack'),
)

let failures = 0
try {
	for (const scenario of scenarios) {
		const section = await withProgress('seeding tables, tenants and secrets…', scenario(stack))
		failures += await printSection(stack, section)
	}
} finally {
	await stack.stop()
}

const total = ((performance.now() - started) / 1000).toFixed(1)
console.log(
	failures === 0
		? `\n${green('✓')} every row got what it expected (${total} s)`
		: `\n${red('✗')} ${failures} row(s) got something else (${total} s)`,
)
// @middy/secrets-manager keeps a refresh timer, as it should inside Lambda; a CLI ends here.
process.exit(failures === 0 ? 0 : 1)
