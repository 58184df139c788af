// The wafer plan as the UI sees it (the HUD draws it, the ready event carries it): plain data that
// crosses postMessage. backends/plan/ computes it; this file only says its shape.

/**
 * How a matrix's weights sit in GPU memory: f32, packed f16, or a GGML block format kept
 * quantized (the matmul dequantizes in registers, so decode streams 4.5 to 8.5 bits per weight).
 */
export type WeightFormat = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'q5_0' | 'q4_k' | 'q6_k';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'f16', 'q8_0', 'q4_0', 'q5_0', 'q4_k', 'q6_k'];
export type ReduceStrategy = 'chain' | 'tree';

/**
 * How a tile pass reads its tile (each is an autotune candidate; a matrix's GEMV and its batched
 * GEMM always use the same one, so both add in the same order and drafts stay exact):
 *   rows         one thread per weight row, the tile stored row by row (the default);
 *   interleaved  one thread per row, the tile stored with its rows' units interleaved (unit u of
 *                every row, then unit u + 1), so adjacent threads read adjacent addresses;
 *   subgroup     `lanes` threads per row, each summing every lanes-th group of four weights,
 *                combined by a fixed-order subgroup butterfly (needs the `subgroups` feature).
 */
export type MatmulKernel = 'rows' | 'interleaved' | 'subgroup';
export const MATMUL_KERNELS: readonly MatmulKernel[] = ['rows', 'interleaved', 'subgroup'];

/** One WSE-3 PE's SRAM: what a tile would have to fit in to stay resident on a wafer. */
export const PE_SRAM_BYTES = 48 * 1024;

/** The grid choice for one matrix: what the autotune picks or a setting forces. */
export interface GridChoice {
  /** Rows per tile (= threads × rows per thread of the workgroup that owns the tile). */
  tileRows: number;
  /** Q: tile columns. K is split into Q blocks; Q > 1 needs a reduce pass. */
  colTiles: number;
  reduce: ReduceStrategy;
  /** The tile pass; default 'rows'. */
  kernel?: MatmulKernel;
  /** Threads per row for the 'subgroup' kernel: a power of two, 2..64, at most the adapter's smallest subgroup. */
  lanes?: number;
  /**
   * The RMSNorm before the matrix folded into its tile pass (no norm dispatch; x is the residual
   * stream): only for the roles that follow a norm (qkv, gate_up, lm_head). Default false.
   */
  normPrologue?: boolean;
  /**
   * The tile pass multiplies in halves (`shader-f16`): each group of four weights × x is a
   * vec4<f16> dot, added to f32 sums. Only for the roles that read a normalised x (as
   * normPrologue), whose values stay far inside f16's ±65504. Default false.
   */
  f16Math?: boolean;
  /**
   * The lm_head's tile pass (or reduce) also reduces its logits per workgroup to (max, argmax,
   * Σ exp), so the sampler, one workgroup, combines those instead of scanning the vocabulary; the
   * autotune races it. Only for the lm_head. Default false.
   */
  rowStats?: boolean;
}

export interface MatrixPlan {
  name: string;
  rows: number; // N (logical, unpadded)
  cols: number; // K
  format: WeightFormat;
  /** Rows a kernel thread computes together (2 for the fused gate/up pair, else 1). */
  rowsPerThread: number;
  grid: { p: number; q: number };
  tile: { rows: number; cols: number }; // cols padded to the format's column alignment
  reduce: 'none' | ReduceStrategy;
  kernel: MatmulKernel;
  /** Threads per row (1 but for the 'subgroup' kernel). */
  lanes: number;
  /** GridChoice.normPrologue: the matmul normalises x itself. */
  normPrologue: boolean;
  /** GridChoice.f16Math: the tile pass multiplies in f16 (needs the device's `shader-f16`). */
  f16Math: boolean;
  /** GridChoice.rowStats: the pass that applies the epilogue also writes the sampler's row statistics. */
  rowStats: boolean;
  /** Elements in the tile-major buffer, padding included (P·Q·tileRows·tileCols). */
  storedElements: number;
  storedBytes: number;
  pe: {
    bytesOwned: number;
    fitsSram: boolean;
    /** Wavelet hops for x to reach the last PE of a column (broadcast depth). */
    broadcastHops: number;
    /** Serial hops of the partial-sum reduce along a row: chain Q-1, tree ceil(log2 Q). */
    reduceHops: number;
  };
  /** Bytes moved per token (one GEMV): weights streamed + x broadcast + partials + y. */
  bytesPerToken: number;
  /** Extra dispatches the reduce costs: chain 1, tree ceil(log2 Q). */
  reducePasses: number;
}

/**
 * Matrix roles as the engine fuses them:
 *   qkv     [(H + 2Hkv)·Dh, D]  q, k, v projections stacked (one GEMV, then RoPE + KV write)
 *   o       [D, H·Dh]           o_proj, residual add in the epilogue
 *   gate_up [2I, D]             gate/up rows interleaved, SwiGLU in the epilogue (2 rows per thread)
 *   down    [D, I]              down_proj, residual add in the epilogue
 *   lm_head [V, D]              logits (the embedding table itself when tied)
 *   embed   [V, D]              the embedding table, only when untied (gathered, never multiplied)
 */
export type MatrixRole = 'qkv' | 'o' | 'gate_up' | 'down' | 'lm_head' | 'embed';

/** A forced grid for every role, or per role (roles not named keep their tuned/default grid). */
export type ForcedGrid = GridChoice | Partial<Record<MatrixRole, GridChoice>>;

export interface PlanSummary {
  matrices: number;
  pes: number;
  bytesPerToken: number;
  storedBytes: number;
  matricesOverSramBudget: number;
}

/** One format per role: a GGUF file may store each role in a different type. */
export type RoleFormats = Readonly<Record<MatrixRole, WeightFormat>>;

export interface ModelWaferPlan {
  formats: RoleFormats;
  numLayers: number;
  roles: Record<MatrixRole, MatrixPlan | undefined>;
  /** Per-layer plans of the roles whose layers are stored in different formats (same grid). */
  layers?: Partial<Record<MatrixRole, MatrixPlan[]>>;
  /** Where each role's grid came from. */
  source: Record<MatrixRole, 'default' | 'autotune' | 'cache' | 'forced' | undefined>;
  summary: PlanSummary;
}
