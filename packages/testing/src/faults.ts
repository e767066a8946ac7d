import type { ServerResponse } from 'node:http'
import { sleep } from './loopback-server.js'

/**
 * Failures a local endpoint can be told to produce. Each service documents which it honours:
 * - `throttle`: the service's throttling error (SDK clients retry it)
 * - `server-error`: a 5xx (`InternalServiceError` and the like)
 * - `not-found`: the service's not-found error
 * - `access-denied`: the service's authorisation error
 * - `delay`: answer `ms` late (for client timeouts): normally, or with the fault `answer`
 * - `malformed`: a 200 whose body is not valid for the protocol
 * - `down`: the connection is dropped without an answer
 * - `oversized`: a 200 with a body of `bytes` bytes
 * - `respond`: exactly this status, body and headers
 */
export type Fault =
	| { type: 'throttle' }
	| { type: 'server-error' }
	| { type: 'not-found' }
	| { type: 'access-denied' }
	| { type: 'delay'; ms: number; answer?: Fault }
	| { type: 'malformed' }
	| { type: 'down' }
	| { type: 'oversized'; bytes?: number }
	| { type: 'respond'; status: number; body: string; headers?: Record<string, string> }

export interface InjectOptions {
	/** How many matching requests get the fault. Default: all, until `clear()`. */
	times?: number
	/** Only requests for this target (a SecretId, a RoleArn, a path, an operation). */
	target?: string
}

export interface FaultControl {
	inject(fault: Fault, options?: InjectOptions): void
	/** Removes every planned fault, and answers now the requests a `delay` is holding. */
	clear(): void
}

interface Planned {
	fault: Fault
	remaining: number
	target: string | undefined
}

export interface FaultPlan extends FaultControl {
	/** The fault for a request to `targets` (any of them may match), consuming one use. */
	take(...targets: (string | undefined)[]): Fault | undefined
	/** Aborts when a `delay` should end early: the endpoint is stopping, or `clear()` ran. */
	delayEnds(stopping: AbortSignal): AbortSignal
}

export const createFaultPlan = (): FaultPlan => {
	let planned: Planned[] = []
	let cleared = new AbortController()
	return {
		inject(fault, options = {}) {
			planned.push({
				fault,
				remaining: options.times ?? Number.POSITIVE_INFINITY,
				target: options.target,
			})
		},
		clear() {
			planned = []
			cleared.abort()
			cleared = new AbortController()
		},
		take(...targets) {
			const match = planned.find((p) => p.target === undefined || targets.includes(p.target))
			if (!match) return undefined
			match.remaining--
			if (match.remaining <= 0) planned = planned.filter((p) => p !== match)
			return match.fault
		},
		delayEnds: (stopping) => AbortSignal.any([stopping, cleared.signal]),
	}
}

/**
 * Applies the faults every endpoint answers the same way. Returns `true` when the response
 * is finished, `false` when the request should go on normally (after a delay), and
 * `undefined` when the fault is for the service to answer. A delay's `answer` fault is given
 * by `answerLate`, unless the delay was ended early (`clear()` or the endpoint stopping).
 */
export const answerCommonFault = async (
	fault: Fault,
	response: ServerResponse,
	signal: AbortSignal,
	answerLate: (fault: Fault) => Promise<boolean>,
): Promise<boolean | undefined> => {
	switch (fault.type) {
		case 'down':
			response.socket?.destroy()
			return true
		case 'delay':
			await sleep(fault.ms, signal)
			return fault.answer === undefined || signal.aborted ? false : answerLate(fault.answer)
		case 'respond':
			response.writeHead(fault.status, fault.headers).end(fault.body)
			return true
		default:
			return undefined
	}
}
