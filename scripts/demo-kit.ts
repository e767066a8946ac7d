import { format, stripVTControlCharacters } from 'node:util'
import type { LocalStack } from '@tenantry/testing'

/** What a request got: a status (or an authorizer's decision) and the headers of the answer. */
export interface DemoAnswer {
	got: string | number
	headers?: Readonly<Record<string, string>>
}

/** One line of a demo table: a request, what it must get and why, and how to send it. */
export interface DemoRow {
	request: string
	expected: string | number
	/** Why it must get that, in a few words: printed under the row. */
	why: string
	/**
	 * Headers the answer must carry (lower-case names), each value matching its pattern: printed
	 * under the row and checked like the status.
	 */
	headers?: Readonly<Record<string, RegExp>>
	/** Whether to print the DynamoDB keys the request reached, and with which credentials. */
	showKeys?: boolean
	run: () => Promise<DemoAnswer | string | number>
}

export interface DemoSection {
	title: string
	/** The middleware chain, as the example's handler wires it. */
	chain: string
	rows: DemoRow[]
}

/**
 * How a scenario gets one of its example's functions (`file` as in the template's `Handler`,
 * `load` importing its module): `pnpm demo` imports it into this process; `pnpm test:runtime`
 * runs its bundle under Lambda's runtime interface client instead, configured with what the
 * scenario put in `process.env`, and returns a module whose handler sends the event there.
 */
export type FunctionLoader = <M>(
	example: string,
	file: string,
	load: () => Promise<M>,
) => Promise<M>

/** The module itself, in this process. */
export const importFunction: FunctionLoader = (_example, _file, load) => load()

/** An example's demo: configure the environment, load its handlers, return the rows. */
export type DemoScenario = (stack: LocalStack, load?: FunctionLoader) => Promise<DemoSection>

export const defineScenario = (scenario: DemoScenario): DemoScenario => scenario

const lowerCased = (headers: unknown): Record<string, string> => {
	const result: Record<string, string> = {}
	if (typeof headers !== 'object' || headers === null) return result
	for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = String(value)
	return result
}

/** A status code and headers, or `error <status>` when the handler threw instead of answering. */
export const answerOf = async (response: Promise<unknown>): Promise<DemoAnswer> => {
	try {
		const result = (await response) as { statusCode?: number; headers?: unknown }
		return { got: result.statusCode ?? 'no status', headers: lowerCased(result.headers) }
	} catch (error) {
		return {
			got: `error ${(error as { statusCode?: number }).statusCode ?? (error as Error).name}`,
		}
	}
}

/** A status code, or `error <status>` when the handler threw instead of answering. */
export const statusOf = async (response: Promise<unknown>): Promise<number | string> =>
	(await answerOf(response)).got

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

/** What one row got, and whether that is what it expected. */
export interface DemoOutcome {
	row: DemoRow
	ok: boolean
	got: string
	/** Why the row failed beyond its status: a header missing or not matching. */
	problems: string[]
	/** The checked headers as received, and the keys reached when the row asks for them. */
	details: string[]
	ms: number
	calls: Counters
	/** What the code under test logged while the row ran (console.error, console.warn, warnings). */
	logs: string[]
}

const keysOf = (
	stack: LocalStack,
	from: number,
	localAccessKeyId: string | undefined,
): string[] => {
	const keys = new Map<string, number>()
	for (const request of stack.dynamodb.requests.slice(from)) {
		const key = request.input.Key ?? request.input.Item
		if (typeof key !== 'object' || key === null || !('pk' in key)) continue
		const full = (key as { pk: { S?: string } }).pk.S ?? ''
		// A replay claim's key ends in a 64-digit hash: its start says enough.
		const pk = full.length > 48 ? `${full.slice(0, 40)}…` : full
		const who = request.accessKeyId === localAccessKeyId ? 'function role' : 'tenant session'
		const line = `${request.operation} pk=${pk} (${who})`
		keys.set(line, (keys.get(line) ?? 0) + 1)
	}
	return [...keys].map(([line, count]) => (count > 1 ? `${line} ×${count}` : line))
}

/** Where console.error and console.warn go while a row runs; nowhere outside rows. */
let sink: ((line: string) => void) | undefined

/** Adds a line to what the row running logged (a function's output from another process). */
export const logToRow = (line: string): void => sink?.(line)

/**
 * Routes console.error and console.warn, and so Node's process warnings, to the row running,
 * and drops them outside rows. Call it before importing the handlers: loggers that keep a
 * reference to console.error when they are created (a middleware's default `logger`) keep this one.
 */
export const routeConsoleToRows = (): void => {
	const route = (...parts: unknown[]) => sink?.(format(...parts))
	console.error = route
	console.warn = route
}

/**
 * Runs one row: what it got, the calls it caused on the local stack, and what the code under test
 * logged meanwhile (the handlers log every refusal they answer, as they would to CloudWatch:
 * kept, and printed only under a row that failed; see routeConsoleToRows).
 */
export const runRow = async (stack: LocalStack, row: DemoRow): Promise<DemoOutcome> => {
	const logs: string[] = []
	sink = (line) => logs.push(line)
	const before = countersOf(stack)
	const started = performance.now()
	let answer: DemoAnswer
	try {
		const result = await row.run()
		answer = typeof result === 'object' ? result : { got: result }
	} catch (thrown) {
		answer = { got: `threw ${(thrown as Error).name}` }
		logs.push(format(thrown))
	} finally {
		sink = undefined
	}
	const ms = performance.now() - started
	const after = countersOf(stack)
	const problems: string[] = []
	const details: string[] = []
	for (const [name, pattern] of Object.entries(row.headers ?? {})) {
		const value = answer.headers?.[name]
		details.push(`${name}: ${value ?? '(none)'}`)
		// Under a wrong status, missing headers say nothing more.
		if (
			String(answer.got) === String(row.expected) &&
			(value === undefined || !pattern.test(value))
		)
			problems.push(
				`${name} ${value === undefined ? 'missing' : `"${value}"`}, expected ${pattern}`,
			)
	}
	if (row.showKeys) details.push(...keysOf(stack, before.dynamodb, stack.env.AWS_ACCESS_KEY_ID))
	return {
		row,
		ok: String(answer.got) === String(row.expected) && problems.length === 0,
		got: String(answer.got),
		problems,
		details,
		ms,
		calls: {
			jwks: after.jwks - before.jwks,
			secrets: after.secrets - before.secrets,
			sts: after.sts - before.sts,
			dynamodb: after.dynamodb - before.dynamodb,
		},
		logs,
	}
}

export interface Style {
	green(text: string): string
	red(text: string): string
	dim(text: string): string
	bold(text: string): string
}

export const plain: Style = {
	green: (text) => text,
	red: (text) => text,
	dim: (text) => text,
	bold: (text) => text,
}

const pad = (text: string, width: number, alignRight = false) => {
	const fill = ' '.repeat(Math.max(0, width - [...stripVTControlCharacters(text)].length))
	return alignRight ? fill + text : text + fill
}

/** Logs printed under a failed row, at most this many lines. */
const maxLogLines = 20

/** The table of a section: a line per row, then why it must get that and what says it did. */
export const formatSection = (
	section: DemoSection,
	outcomes: readonly DemoOutcome[],
	style: Style = plain,
): string[] => {
	const header = ['', 'request', 'expected', 'got', 'ms', 'JWKS', 'secrets', 'STS', 'DynamoDB']
	const rows = outcomes.map((outcome) => [
		outcome.ok ? style.green('✓') : style.red('✗'),
		outcome.row.request,
		String(outcome.row.expected),
		outcome.got === String(outcome.row.expected) ? outcome.got : style.red(outcome.got),
		outcome.ms.toFixed(1),
		String(outcome.calls.jwks),
		String(outcome.calls.secrets),
		String(outcome.calls.sts),
		String(outcome.calls.dynamodb),
	])
	const widths = header.map((title, column) =>
		Math.max(
			title.length,
			...rows.map((row) => [...stripVTControlCharacters(row[column] ?? '')].length),
		),
	)
	const numeric = new Set([4, 5, 6, 7, 8])
	const line = (cells: string[]) =>
		`  ${cells.map((cell, column) => pad(cell, widths[column] ?? 0, numeric.has(column))).join('  ')}`
	const lines = [`${style.bold(section.title)}`, style.dim(section.chain), style.dim(line(header))]
	const indent = ' '.repeat(5)
	outcomes.forEach((outcome, index) => {
		lines.push(line(rows[index] ?? []))
		lines.push(style.dim(`${indent}└ ${[outcome.row.why, ...outcome.details].join(' · ')}`))
		if (outcome.ok) return
		for (const problem of outcome.problems) lines.push(style.red(`${indent}  ✗ ${problem}`))
		const logLines = outcome.logs.flatMap((entry) => entry.split('\n'))
		for (const log of logLines.slice(0, maxLogLines)) lines.push(`${indent}  | ${log}`)
		if (logLines.length > maxLogLines)
			lines.push(`${indent}  | … ${logLines.length - maxLogLines} more lines`)
	})
	return lines
}

/** The closing line: every failed row by section and name, with what it got instead. */
export const formatSummary = (
	failed: readonly { section: DemoSection; outcome: DemoOutcome }[],
	seconds: number,
	style: Style = plain,
): string[] => {
	if (failed.length === 0)
		return [`${style.green('✓')} every row got what it expected (${seconds.toFixed(1)} s)`]
	return [
		`${style.red('✗')} ${failed.length} row(s) got something else (${seconds.toFixed(1)} s):`,
		...failed.map(({ section, outcome }) => {
			const name = section.title.split(' · ')[0]
			const what = [
				...(outcome.got === String(outcome.row.expected)
					? []
					: [`expected ${outcome.row.expected}, got ${outcome.got}`]),
				...outcome.problems,
			].join('; ')
			return `  ${name} › ${outcome.row.request}: ${what}`
		}),
	]
}
