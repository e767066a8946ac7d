import { type LocalStack, startLocalStack } from '@tenantry/testing'
import tenantApi from '../examples/tenant-api/demo.js'
import tenantAuthorizer from '../examples/tenant-authorizer/demo.js'
import webhookIngest from '../examples/webhook-ingest/demo.js'
import {
	type DemoOutcome,
	type DemoScenario,
	type DemoSection,
	formatSection,
	formatSummary,
	routeConsoleToRows,
	runRow,
	type Style,
} from './demo-kit.js'

/**
 * `pnpm demo`: the example handlers, invoked with real events against a local AWS stack on
 * 127.0.0.1 (dynalite, Secrets Manager and STS endpoints, an OpenID provider). Every row states
 * what it must get and why; the demo exits non-zero, naming the rows, if any gets something else.
 */
const scenarios: DemoScenario[] = [tenantApi, webhookIngest, tenantAuthorizer]

const tty = process.stdout.isTTY === true
const color = (code: number) => (text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text)
const style: Style = { green: color(32), red: color(31), dim: color(2), bold: color(1) }

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

// What the handlers log (every refusal, as they would to CloudWatch) is kept per row and printed
// only under a row that failed: the tables say the rest.
routeConsoleToRows()

const started = performance.now()
// Everything runs in this process: an interrupt needs no cleanup beyond the spinner's line.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
	process.once(signal, () => {
		if (tty) process.stdout.write('\r\u001b[2K')
		process.stdout.write(`\n${style.red('✗')} interrupted (${signal})\n`)
		process.exit(signal === 'SIGINT' ? 130 : 143)
	})
const stack: LocalStack = await withProgress(
	'starting the local stack: dynalite, Secrets Manager, STS, OpenID provider, X-Ray…',
	startLocalStack(),
)
stack.applyEnv()
console.log(
	`${style.green('✓')} local stack on 127.0.0.1 ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
)
console.log(
	style.dim(
		'  columns JWKS, secrets, STS, DynamoDB: calls each request caused on the local stack;\n' +
			'  under each row: why it must get that, and the headers or DynamoDB keys that show it did',
	),
)

const failed: { section: DemoSection; outcome: DemoOutcome }[] = []
try {
	for (const scenario of scenarios) {
		const section = await withProgress('seeding tables, tenants and secrets…', scenario(stack))
		const outcomes: DemoOutcome[] = []
		for (const row of section.rows) outcomes.push(await runRow(stack, row))
		console.log(`\n${formatSection(section, outcomes, style).join('\n')}`)
		for (const outcome of outcomes) if (!outcome.ok) failed.push({ section, outcome })
	}
} finally {
	await stack.stop()
}

console.log(`\n${formatSummary(failed, (performance.now() - started) / 1000, style).join('\n')}`)
// @middy/secrets-manager keeps a refresh timer, as it should inside Lambda; a CLI ends here.
process.exit(failed.length === 0 ? 0 : 1)
