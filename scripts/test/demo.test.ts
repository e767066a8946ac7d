import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { type LocalStack, startLocalStack } from '@tenantry/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import tenantApi from '../../examples/tenant-api/demo.js'
import tenantAuthorizer from '../../examples/tenant-authorizer/demo.js'
import webhookIngest from '../../examples/webhook-ingest/demo.js'
import {
	type DemoOutcome,
	type DemoRow,
	type DemoSection,
	formatSection,
	formatSummary,
	routeConsoleToRows,
	runRow,
} from '../demo-kit.js'

const root = resolve(import.meta.dirname, '../..')
const { error, warn } = console
let stack: LocalStack
let restoreEnv: () => void

beforeAll(async () => {
	stack = await startLocalStack()
	restoreEnv = stack.applyEnv()
	routeConsoleToRows()
})

afterAll(async () => {
	console.error = error
	console.warn = warn
	restoreEnv()
	await stack.stop()
})

const section = (rows: DemoRow[]): DemoSection => ({ title: 'probe · rows', chain: 'none', rows })

describe('the demo table', () => {
	it('fails a row whose status differs and names it in the summary', async () => {
		const row: DemoRow = {
			request: 'GET as globex',
			expected: 403,
			why: 'cross-tenant',
			run: async () => 200,
		}
		const outcome = await runRow(stack, row)
		expect(outcome.ok).toBe(false)
		const summary = formatSummary([{ section: section([row]), outcome }], 1).join('\n')
		expect(summary).toContain('1 row(s) got something else')
		expect(summary).toContain('probe › GET as globex: expected 403, got 200')
	})

	it('fails a row with the expected status but without the header that says why', async () => {
		const outcome = await runRow(stack, {
			request: 'GET without a token',
			expected: 401,
			why: 'no token',
			headers: { 'www-authenticate': /^Bearer/, 'retry-after': /^\d+$/ },
			run: async () => ({ got: 401, headers: { 'www-authenticate': 'Bearer realm="api"' } }),
		})
		expect(outcome.ok).toBe(false)
		expect(outcome.problems).toEqual(['retry-after missing, expected /^\\d+$/'])
		const lines = formatSection(section([outcome.row]), [outcome]).join('\n')
		expect(lines).toContain(
			'└ no token · www-authenticate: Bearer realm="api" · retry-after: (none)',
		)
	})

	it('prints what the code logged under a failed row only, and reports a row that throws', async () => {
		const quiet = await runRow(stack, {
			request: 'passes',
			expected: 200,
			why: 'ok',
			run: async () => {
				console.error('refusal logged as usual')
				return 200
			},
		})
		const thrown = await runRow(stack, {
			request: 'throws',
			expected: 200,
			why: 'ok',
			run: async () => {
				console.warn('the cause, logged by the handler')
				throw new RangeError('boom')
			},
		})
		expect(thrown.got).toBe('threw RangeError')
		const text = formatSection(section([quiet.row, thrown.row]), [quiet, thrown]).join('\n')
		expect(text).not.toContain('refusal logged as usual')
		expect(text).toContain('| the cause, logged by the handler')
		expect(text).toContain('RangeError: boom')
	})

	it('runs every example row as pnpm demo does: each gets what it expects, and says why', async () => {
		const failed: string[] = []
		for (const scenario of [tenantApi, webhookIngest, tenantAuthorizer]) {
			const demo = await scenario(stack)
			const outcomes: DemoOutcome[] = []
			for (const row of demo.rows) outcomes.push(await runRow(stack, row))
			for (const outcome of outcomes) {
				expect(outcome.row.why, outcome.row.request).not.toBe('')
				if (!outcome.ok) failed.push(formatSection(demo, [outcome]).join('\n'))
			}
		}
		expect(failed).toEqual([])
	}, 60_000)
})

it('pnpm demo exits 0, printing nothing on stderr', async () => {
	const { stdout, stderr } = await promisify(execFile)(
		join(root, 'node_modules/.bin/tsx'),
		['--conditions=@tenantry/source', 'scripts/demo.ts'],
		{ cwd: root, encoding: 'utf8' },
	).catch((failure: { stdout?: string; stderr?: string }) => {
		throw new Error(`the demo failed:\n${failure.stderr ?? ''}${failure.stdout ?? ''}`)
	})
	expect(stderr).toBe('')
	expect(stdout).toContain('every row got what it expected')
	expect(stdout).toMatch(/www-authenticate: Bearer .*error="invalid_token"/)
	expect(stdout).toMatch(/ratelimit-remaining: 0 · retry-after: \d+/)
	expect(stdout).toContain('PutItem pk=TENANT#acme#ITEM#42 (tenant session)')
}, 60_000)
