import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { glob } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Bench } from 'tinybench'
import type { BenchFactory, Comparison, Report } from './bench-kit.js'

/**
 * Runs every `packages/*\/bench/*.bench.ts` and `examples/*\/bench/*.bench.ts` (or those whose
 * path contains one of the arguments). Each comparison runs ours and its peers in many short
 * rounds, in an order that rotates each round, and reports the median of the per-round ratios
 * of median latencies. These shared machines change speed for seconds at a time; short rounds
 * keep both sides of a ratio inside the same spell, which long rounds did not (identical code
 * measured 1.20× to 1.48×).
 */
/** Divisible by 2, 3 and 4, so the rotating order is balanced for up to three peers. */
const rounds = Number(process.env.BENCH_ROUNDS ?? 24)
const timeMs = Number(process.env.BENCH_TIME_MS ?? 50)
/** The first round warms the code up; later rounds only need the caches refilled. */
const firstWarmupMs = 100
const laterWarmupMs = 10
const root = resolve(import.meta.dirname, '..')
const filters = process.argv.slice(2)

interface Row {
	file: string
	benchmark: string
	ours: string
	peer: string
	peerValue: string
	ratio: number | undefined
	value: string
	/** Quartiles of the per-round ratios: how far one run's figure can be trusted. */
	spread: string
	target: string
	met: boolean | undefined
}

const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b)
	const middle = Math.floor(sorted.length / 2)
	return sorted.length % 2
		? (sorted[middle] ?? Number.NaN)
		: ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** The value below which a `fraction` of `values` lie, interpolated between neighbours. */
const quantile = (values: number[], fraction: number): number => {
	const sorted = [...values].sort((a, b) => a - b)
	const position = (sorted.length - 1) * fraction
	const below = sorted[Math.floor(position)] ?? Number.NaN
	const above = sorted[Math.ceil(position)] ?? Number.NaN
	return below + (above - below) * (position - Math.floor(position))
}

const formatTime = (ms: number): string => {
	if (ms >= 1) return `${ms.toFixed(2)} ms`
	if (ms >= 0.001) return `${(ms * 1000).toFixed(2)} µs`
	return `${(ms * 1_000_000).toFixed(0)} ns`
}

const medianLatency = async (
	name: string,
	run: () => unknown,
	warmupMs: number,
): Promise<number> => {
	const bench = new Bench({ time: timeMs, warmupTime: warmupMs })
	bench.add(name, run)
	await bench.run()
	const result = bench.tasks[0]?.result
	if (!result || !('latency' in result)) {
		throw new Error(
			`benchmark '${name}' failed: ${result && 'error' in result ? result.error.message : 'no result'}`,
		)
	}
	return result.latency.p50 ?? result.latency.mean
}

const compare = async (file: string, comparison: Comparison): Promise<Row[]> => {
	const ours: number[] = []
	const peers = comparison.peers.map(() => [] as number[])
	const ratios = comparison.peers.map(() => [] as number[])
	const tasks = [
		{ name: `${comparison.name} (ours)`, run: comparison.ours },
		...comparison.peers.map((peer) => ({
			name: `${comparison.name} (${peer.name})`,
			run: peer.run,
		})),
	]
	for (let round = 0; round < rounds; round++) {
		const warmupMs = round === 0 ? firstWarmupMs : laterWarmupMs
		const latencies: number[] = []
		// The order rotates by one each round, so every task takes every place equally often.
		for (let step = 0; step < tasks.length; step++) {
			const index = (round + step) % tasks.length
			const task = tasks[index]
			if (task !== undefined) latencies[index] = await medianLatency(task.name, task.run, warmupMs)
		}
		const [oursLatency = Number.NaN, ...peerLatencies] = latencies
		ours.push(oursLatency)
		for (const [index, peerLatency] of peerLatencies.entries()) {
			peers[index]?.push(peerLatency)
			ratios[index]?.push(oursLatency / peerLatency)
		}
	}
	return comparison.peers.map((peer, index) => {
		const roundRatios = ratios[index] ?? []
		const ratio = median(roundRatios)
		return {
			file,
			benchmark: comparison.name,
			ours: formatTime(median(ours)),
			peer: peer.name,
			peerValue: formatTime(median(peers[index] ?? [])),
			ratio,
			value: ratio.toFixed(2),
			// A median alone reads as exact: on these machines the rounds of one run can differ by
			// tens of percent (the WebCrypto rows), and a row near its target passes or fails with
			// the run.
			spread: `${quantile(roundRatios, 0.25).toFixed(2)}–${quantile(roundRatios, 0.75).toFixed(2)}`,
			target: peer.target === undefined ? '' : `≤ ${peer.target}`,
			met: peer.target === undefined ? undefined : ratio <= peer.target,
		}
	})
}

const reportRow = (file: string, report: Report): Row => {
	const { min, max } = report.target ?? {}
	const bounds = [min === undefined ? '' : `≥ ${min}`, max === undefined ? '' : `≤ ${max}`]
		.filter(Boolean)
		.join(' ')
	const met =
		report.target === undefined
			? undefined
			: (min === undefined || report.value >= min) && (max === undefined || report.value <= max)
	return {
		file,
		benchmark: report.name,
		ours: '',
		peer: report.note ?? '',
		peerValue: '',
		ratio: undefined,
		value:
			`${Number.isInteger(report.value) ? report.value : report.value.toFixed(2)} ${report.unit}`.trim(),
		spread: '',
		target: bounds,
		met,
	}
}

const pad = (text: string, width: number) =>
	text + ' '.repeat(Math.max(0, width - [...text].length))

const printTable = (rows: Row[]) => {
	const header = [
		'benchmark',
		'ours',
		'peer',
		'peer time',
		'ours ÷ peer',
		'rounds p25–p75',
		'target',
		'',
	]
	const cells = rows.map((row) => [
		row.benchmark,
		row.ours,
		row.peer,
		row.peerValue,
		row.value,
		row.spread,
		row.target,
		row.met === undefined ? '' : row.met ? 'met' : 'MISSED',
	])
	const widths = header.map((title, column) =>
		Math.max([...title].length, ...cells.map((cell) => [...(cell[column] ?? '')].length)),
	)
	const line = (values: string[]) =>
		values
			.map((value, column) => pad(value, widths[column] ?? 0))
			.join('  ')
			.trimEnd()
	console.log(line(header))
	console.log(widths.map((width) => '─'.repeat(width)).join('  '))
	for (const cell of cells) console.log(line(cell))
}

/** Runs one bench file, prints its table and returns its rows. */
const runFile = async (file: string): Promise<Row[]> => {
	const module = (await import(pathToFileURL(resolve(root, file)).href)) as {
		default: BenchFactory
	}
	const plan = await module.default()
	const fileRows: Row[] = []
	try {
		for (const comparison of plan.comparisons ?? [])
			fileRows.push(...(await compare(file, comparison)))
		for (const report of (await plan.reports?.()) ?? []) fileRows.push(reportRow(file, report))
	} finally {
		await plan.teardown?.()
	}
	console.log(`▸ ${relative(root, resolve(root, file))}`)
	printTable(fileRows)
	console.log('')
	return fileRows
}

const childFile = process.env.TENANTRY_BENCH_FILE
const childRows = process.env.TENANTRY_BENCH_ROWS
if (childFile !== undefined && childRows !== undefined) {
	writeFileSync(childRows, JSON.stringify(await runFile(childFile)))
} else {
	const files: string[] = []
	for await (const file of glob(
		['packages/*/bench/*.bench.ts', 'examples/*/bench/*.bench.ts', 'scripts/bench/*.bench.ts'],
		{ cwd: root },
	)) {
		if (filters.length === 0 || filters.some((filter) => file.includes(filter))) files.push(file)
	}
	files.sort()

	console.log(
		`Node ${process.version}, ${rounds} rounds × ${timeMs} ms per task; figures are medians, ratios are ours ÷ peer (lower is better) with the quartiles of the per-round ratios.\n`,
	)
	// Each file runs in a process of its own: one file's module state (e.g. aws-clients'
	// process-wide request tracking) and JIT history must not change what the next measures.
	const scratch = resolve(root, '.bench')
	mkdirSync(scratch, { recursive: true })
	const rows: Row[] = []
	for (const [index, file] of files.entries()) {
		const rowsFile = resolve(scratch, `rows-${index}.json`)
		const child = spawnSync(
			process.execPath,
			[...process.execArgv, fileURLToPath(import.meta.url)],
			{
				stdio: 'inherit',
				env: { ...process.env, TENANTRY_BENCH_FILE: file, TENANTRY_BENCH_ROWS: rowsFile },
			},
		)
		if (child.status !== 0)
			throw new Error(`${file}: the benchmark process failed (${child.status ?? child.signal})`)
		rows.push(...(JSON.parse(readFileSync(rowsFile, 'utf8')) as Row[]))
		rmSync(rowsFile)
	}

	writeFileSync(resolve(scratch, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`)
	const checked = rows.filter((row) => row.met !== undefined)
	const missed = checked.filter((row) => row.met === false)
	console.log(
		`targets met: ${checked.length - missed.length}/${checked.length}${missed.length ? ` (missed: ${missed.map((row) => `${row.benchmark} vs ${row.peer}`).join('; ')})` : ''}`,
	)
	process.exitCode = missed.length > 0 ? 1 : 0
}
