//===- DecoderConfig.h - the recipe of a Llama-family decoder ---*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/SlmDialect.h"

#include <vector>

namespace slmc {

/// What the decoder builder needs to know about a Llama-family model; each
/// importer fills it from its own file format. The facts that outlive the
/// import (vocabulary, shape, special tokens) are the model's contract, which
/// the builder attaches to the module; the rest is the recipe of the graph.
struct DecoderConfig {
  slm::ModelContract model; // architecture, vocabulary, positions, tokens, decoder shape
  int64_t intermediate = 0;
  float rmsEps = 1e-5f;
  double ropeTheta = 10000.0;
  /// One rotary frequency per pair of head_dim when a rope scaling sets them
  /// (slm.rotary's `frequencies`); empty: theta's.
  std::vector<float> ropeFrequencies;
  /// Channels of each head the rotary embedding turns (0: all; Phi's partial_rotary_factor).
  int64_t rotaryDim = 0;
  /// Factor on cos and sin (LongRoPE's attention factor; 1: none).
  float ropeScale = 1.0f;
  /// q/k/v and gate/up each one projection (Phi-3's qkv_proj, gate_up_proj).
  bool fusedProjections = false;
  /// Sliding-window attention over the last this many positions (0: none).
  int64_t slidingWindow = 0;
  /// Which layers are local, by index: the window applies to them (empty:
  /// every layer is local).
  std::vector<bool> slidingLayers;
  /// Rotary base of the local layers, unscaled, when it differs from the
  /// others' (Gemma 3's rope_local_base_freq; 0: the same rotary everywhere).
  double localRopeTheta = 0.0;
  /// Gemma: the embedding's rows are multiplied by this (sqrt(hidden_size)).
  float embeddingScale = 1.0f;
  /// Gemma: every RMSNorm multiplies by (1 + weight); the file stores the offset.
  bool normWeightOffset = false;
  /// Gemma 2/3: attention and MLP outputs are normalized before their residual
  /// add (post_attention_layernorm, post_feedforward_layernorm), and the MLP's
  /// input by pre_feedforward_layernorm.
  bool sandwichNorms = false;
  /// The gate's activation (Gemma: gelu_tanh).
  slm::Activation activation = slm::Activation::silu;
  /// Attention scores' scale (0: 1/sqrt(head_dim); Gemma: query_pre_attn_scalar^-1/2).
  float attentionScale = 0.0f;
  /// Soft-capping, c * tanh(x / c), of attention scores and of the logits (0: none; Gemma 2).
  float attentionSoftcap = 0.0f;
  float logitSoftcap = 0.0f;
  slm::RotaryLayout ropeLayout = slm::RotaryLayout::rotate_half;
  bool attentionBias = false; // q/k/v projections have biases (Qwen2)
  bool qkNorm = false;        // per-head RMSNorm of q and k before RoPE (Qwen3)
  bool tiedEmbeddings = false;

  slm::DecoderShape &shape() { return *model.decoder; }
  const slm::DecoderShape &shape() const { return *model.decoder; }
};

} // namespace slmc
