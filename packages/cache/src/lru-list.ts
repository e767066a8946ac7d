/** A node of the recency list; the cache's entries extend it. */
export interface LruNode {
	key: string
	newer: LruNode | undefined
	older: LruNode | undefined
}

/**
 * Recency order as a doubly linked list threaded through the entries themselves: marking
 * a hit is a few pointer writes, where re-inserting into a `Map` costs far more.
 */
export class LruList<N extends LruNode> {
	newest: N | undefined
	oldest: N | undefined
	size = 0

	pushNewest(node: N): void {
		this.size++
		node.older = this.newest
		node.newer = undefined
		if (this.newest) this.newest.newer = node
		this.newest = node
		this.oldest ??= node
	}

	remove(node: N): void {
		this.size--
		if (node.newer) node.newer.older = node.older
		else this.newest = node.older as N | undefined
		if (node.older) node.older.newer = node.newer
		else this.oldest = node.newer as N | undefined
		node.newer = undefined
		node.older = undefined
	}

	touch(node: N): void {
		if (this.newest === node) return
		this.remove(node)
		this.pushNewest(node)
	}

	clear(): void {
		this.newest = undefined
		this.oldest = undefined
		this.size = 0
	}
}
