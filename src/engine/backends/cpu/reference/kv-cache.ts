// The CPU reference's key/value cache: per layer, k and v for every cached position, laid out
// [position, kvHead, headDim] so that a prefix of the buffer is exactly the [L, Hkv, Dh] tensor
// reference/ops.ts attention() expects. Grows by doubling up to a fixed capacity.

export class ReferenceKvCache {
  private keys: Float32Array[];
  private values: Float32Array[];
  private allocated: number; // positions allocated per layer
  private filled = 0; // positions holding valid k/v

  constructor(
    numLayers: number,
    private readonly rowSize: number, // numKvHeads * headDim
    readonly capacity: number, // max positions
  ) {
    this.allocated = Math.min(capacity, 64);
    this.keys = Array.from({ length: numLayers }, () => new Float32Array(this.allocated * rowSize));
    this.values = Array.from({ length: numLayers }, () => new Float32Array(this.allocated * rowSize));
  }

  /** Positions currently cached. */
  get length(): number {
    return this.filled;
  }

  /** Forgets every position >= n (the k/v of earlier positions do not depend on later ones). */
  truncate(n: number): void {
    if (n < 0 || n > this.filled) throw new Error(`kv cache: cannot truncate to ${n}, holding ${this.filled}`);
    this.filled = n;
  }

  /**
   * Writes k, v [T, Hkv, Dh] of layer `layer` at positions start..start+T-1. Layers are written
   * one after another for the same positions; the length advances with `commit`.
   */
  write(layer: number, start: number, k: Float32Array, v: Float32Array): void {
    const t = k.length / this.rowSize;
    if (start + t > this.capacity) throw new Error(`kv cache: positions up to ${start + t} exceed the capacity of ${this.capacity}`);
    this.ensure(start + t);
    this.keys[layer]!.set(k, start * this.rowSize);
    this.values[layer]!.set(v, start * this.rowSize);
  }

  /** Marks positions < n as valid after every layer has been written. */
  commit(n: number): void {
    this.filled = n;
  }

  /** k and v of positions 0..n-1 of one layer: [n, Hkv, Dh] views (no copy). */
  view(layer: number, n: number): { k: Float32Array; v: Float32Array } {
    return { k: this.keys[layer]!.subarray(0, n * this.rowSize), v: this.values[layer]!.subarray(0, n * this.rowSize) };
  }

  private ensure(positions: number): void {
    if (positions <= this.allocated) return;
    let next = this.allocated;
    while (next < positions) next *= 2;
    next = Math.min(next, this.capacity);
    const grow = (old: Float32Array) => {
      const bigger = new Float32Array(next * this.rowSize);
      bigger.set(old.subarray(0, this.filled * this.rowSize));
      return bigger;
    };
    this.keys = this.keys.map(grow);
    this.values = this.values.map(grow);
    this.allocated = next;
  }
}
