/** What a `bench/*.bench.ts` file default-exports: set up, then describe what to measure. */
export type BenchFactory = () => Promise<BenchPlan> | BenchPlan

export interface BenchPlan {
	/** Hot paths timed against peers in the same run; the figure is ours ÷ peer. */
	comparisons?: Comparison[]
	/** Figures measured otherwise (bytes, calls per request, init time ratios). */
	reports?: () => Promise<Report[]> | Report[]
	teardown?: () => Promise<void> | void
}

export interface Comparison {
	name: string
	ours: () => unknown
	peers: Peer[]
}

export interface Peer {
	name: string
	run: () => unknown
	/** The stated goal: ours ÷ this peer must be at most this. */
	target?: number
}

export interface Report {
	name: string
	value: number
	unit: string
	/** Inclusive bounds the value must stay within. */
	target?: { max?: number; min?: number }
	note?: string
}

export const defineBench = (factory: BenchFactory): BenchFactory => factory
