import type { LocalStack } from '@tenantry/testing'

/** One line of a demo table: a request, what it must get, and how to send it. */
export interface DemoRow {
	request: string
	expected: string | number
	run: () => Promise<string | number>
}

export interface DemoSection {
	title: string
	/** The middleware chain, as the example's handler wires it. */
	chain: string
	rows: DemoRow[]
}

/** An example's demo: configure the environment, import its handlers, return the rows. */
export type DemoScenario = (stack: LocalStack) => Promise<DemoSection>

export const defineScenario = (scenario: DemoScenario): DemoScenario => scenario

/** A status code, or `error <status>` when the handler threw instead of answering. */
export const statusOf = async (response: Promise<unknown>): Promise<number | string> => {
	try {
		const result = (await response) as { statusCode?: number }
		return result.statusCode ?? 'no status'
	} catch (error) {
		return `error ${(error as { statusCode?: number }).statusCode ?? (error as Error).name}`
	}
}
