/**
 * A double-array trie over the UTF-8 bytes of the vocabulary, built once at load: one array read and one compare
 * per byte in the Viterbi inner loop (SentencePiece itself uses a darts-clone double array for this).
 * Hand-written because no maintained browser-friendly package builds one from arbitrary byte keys.
 */
export class PieceTrie {
  /** Child of node `s` by byte `c` is `t = base[s] + c`, valid when `check[t] === s`. Node 0 is the root. */
  readonly base: Int32Array;
  readonly check: Int32Array;
  /** The token id whose key ends at a node, else -1. */
  readonly value: Int32Array;

  /** Keys are `bytes[offsets[k], offsets[k + 1])`, for token ids `ids[k]`. */
  constructor(bytes: Uint8Array, offsets: Int32Array, ids: ArrayLike<number>) {
    const linked = buildLinkedTrie(bytes, offsets, ids);
    const built = new DoubleArrayBuilder(linked.nodeCount * 2 + 512);
    // Depth-first over the linked trie; each node's children are placed in one block.
    const stack = new Int32Array(linked.nodeCount);
    let depth = 1;
    const daIndex = new Int32Array(linked.nodeCount);
    const labels = new Int32Array(256);
    while (depth > 0) {
      const node = stack[--depth];
      const at = daIndex[node];
      if (linked.value[node] >= 0) built.value[at] = linked.value[node];
      let count = 0;
      for (let child = linked.firstChild[node]; child !== -1; child = linked.nextSibling[child]) {
        labels[count++] = linked.label[child];
      }
      if (count === 0) continue;
      const base = built.place(labels, count, at);
      for (let child = linked.firstChild[node]; child !== -1; child = linked.nextSibling[child]) {
        daIndex[child] = base + linked.label[child];
        stack[depth++] = child;
      }
    }
    const length = built.usedLength() + 256;
    this.base = built.base.slice(0, length);
    this.check = built.check.slice(0, length);
    this.value = built.value.slice(0, length);
  }
}

interface LinkedTrie {
  nodeCount: number;
  firstChild: Int32Array;
  nextSibling: Int32Array;
  label: Uint8Array;
  value: Int32Array;
}

/** A first-child / next-sibling trie; a found child moves to the front of its list (keys share prefixes). */
function buildLinkedTrie(bytes: Uint8Array, offsets: Int32Array, ids: ArrayLike<number>): LinkedTrie {
  const capacity = offsets[offsets.length - 1] + 1;
  const firstChild = new Int32Array(capacity).fill(-1);
  const nextSibling = new Int32Array(capacity).fill(-1);
  const label = new Uint8Array(capacity);
  const value = new Int32Array(capacity).fill(-1);
  let nodeCount = 1;
  for (let k = 0; k + 1 < offsets.length; k++) {
    let node = 0;
    for (let i = offsets[k]; i < offsets[k + 1]; i++) {
      const c = bytes[i];
      let previous = -1;
      let child = firstChild[node];
      while (child !== -1 && label[child] !== c) {
        previous = child;
        child = nextSibling[child];
      }
      if (child === -1) {
        child = nodeCount++;
        label[child] = c;
        nextSibling[child] = firstChild[node];
        firstChild[node] = child;
      } else if (previous !== -1) {
        nextSibling[previous] = nextSibling[child];
        nextSibling[child] = firstChild[node];
        firstChild[node] = child;
      }
      node = child;
    }
    if (value[node] === -1) value[node] = ids[k];
  }
  return { nodeCount, firstChild, nextSibling, label, value };
}

/** Places children blocks into base/check arrays, finding free cells through a doubly linked free list. */
class DoubleArrayBuilder {
  base: Int32Array;
  check: Int32Array;
  value: Int32Array;
  private nextFree: Int32Array;
  private prevFree: Int32Array;
  private head: number;
  private tail: number;
  private maxUsed = 0;

  constructor(capacity: number) {
    this.base = new Int32Array(capacity);
    this.check = new Int32Array(capacity).fill(-1);
    this.value = new Int32Array(capacity).fill(-1);
    this.nextFree = new Int32Array(capacity);
    this.prevFree = new Int32Array(capacity);
    // Cell 0 is the root: never free, and no node's child (base 0 + byte 0 must not lead back to it).
    this.check[0] = -2;
    for (let i = 1; i < capacity; i++) {
      this.prevFree[i] = i - 1;
      this.nextFree[i] = i + 1 < capacity ? i + 1 : -1;
    }
    this.prevFree[1] = -1;
    this.head = capacity > 1 ? 1 : -1;
    this.tail = capacity - 1;
  }

  /** Finds a base for `labels[0, count)` (any order), claims their cells for `parent`, and returns the base. */
  place(labels: Int32Array, count: number, parent: number): number {
    let first = 255;
    let last = 0;
    for (let k = 0; k < count; k++) {
      first = Math.min(first, labels[k]);
      last = Math.max(last, labels[k]);
    }
    let base = -1;
    for (let p = this.head; p !== -1; p = this.nextFree[p]) {
      const candidate = p - first;
      if (candidate < 0) continue;
      if (candidate + last >= this.check.length) break;
      let fits = true;
      for (let k = 0; k < count; k++) {
        if (this.check[candidate + labels[k]] !== -1) {
          fits = false;
          break;
        }
      }
      if (fits) {
        base = candidate;
        break;
      }
    }
    if (base === -1) {
      base = Math.max(this.check.length - first, 0);
      this.grow(base + last + 1);
    }
    this.base[parent] = base;
    for (let k = 0; k < count; k++) {
      const cell = base + labels[k];
      this.claim(cell);
      this.check[cell] = parent;
      if (cell > this.maxUsed) this.maxUsed = cell;
    }
    return base;
  }

  usedLength(): number {
    return this.maxUsed + 1;
  }

  private claim(cell: number): void {
    const prev = this.prevFree[cell];
    const next = this.nextFree[cell];
    if (prev === -1) this.head = next;
    else this.nextFree[prev] = next;
    if (next === -1) this.tail = prev;
    else this.prevFree[next] = prev;
  }

  private grow(minimum: number): void {
    const oldLength = this.check.length;
    const length = Math.max(minimum, oldLength * 2);
    const resize = (array: Int32Array, fill: number) => {
      const grown = new Int32Array(length).fill(fill);
      grown.set(array);
      return grown;
    };
    this.base = resize(this.base, 0);
    this.check = resize(this.check, -1);
    this.value = resize(this.value, -1);
    this.nextFree = resize(this.nextFree, -1);
    this.prevFree = resize(this.prevFree, -1);
    for (let i = oldLength; i < length; i++) {
      this.prevFree[i] = i === oldLength ? this.tail : i - 1;
      this.nextFree[i] = i + 1 < length ? i + 1 : -1;
    }
    if (this.tail === -1) this.head = oldLength;
    else this.nextFree[this.tail] = oldLength;
    this.tail = length - 1;
  }
}
