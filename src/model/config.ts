// The model hyper-parameters the engine understands, parsed from a Hugging Face config.json.
// Every field the engine reads is here; fields that would change the maths and that the engine
// does not implement are rejected by name (see parseModelConfig), never silently ignored.

export type Architecture = 'LlamaForCausalLM' | 'Qwen2ForCausalLM';

export interface ModelConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number; // d_model
  intermediateSize: number; // SwiGLU hidden width
  numLayers: number;
  numHeads: number; // query heads
  numKvHeads: number; // key/value heads (GQA: numHeads % numKvHeads === 0)
  headDim: number; // hiddenSize / numHeads unless config.head_dim says otherwise
  rmsNormEps: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  attentionBias: boolean; // q/k/v projections carry a bias (Qwen2: always true)
  bosTokenId?: number;
  eosTokenIds: number[];
}
