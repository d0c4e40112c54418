#!/usr/bin/env python3
"""Independent O(n^2) transcription of llama2.c run.c encode(); prints the ids
that TokenizerTest.cpp expects.  Usage: llama2c_reference.py tok512.bin TEXT..."""
import struct
import sys


def load(path):
    data = open(path, 'rb').read()
    offset = 4
    vocab, scores = [], []
    while offset < len(data):
        score, length = struct.unpack_from('<fi', data, offset)
        offset += 8
        vocab.append(data[offset:offset + length])
        scores.append(score)
        offset += length
    ids = {}
    for i, piece in enumerate(vocab):
        ids.setdefault(piece, i)
    return vocab, scores, ids


def encode(vocab, scores, ids, text, bos=True):
    tokens = [1] if bos else []
    if text:
        tokens.append(ids[b' '])
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and (text[j] & 0xC0) == 0x80 and j - i < 4:
            j += 1
        if text[i:j] in ids:
            tokens.append(ids[text[i:j]])
        else:
            tokens.extend(b + 3 for b in text[i:j])
        i = j
    while True:
        best_score, best_id, best_idx = -1e10, -1, -1
        for k in range(len(tokens) - 1):
            merged = ids.get(vocab[tokens[k]] + vocab[tokens[k + 1]], -1)
            if merged != -1 and scores[merged] > best_score:
                best_score, best_id, best_idx = scores[merged], merged, k
        if best_idx == -1:
            return tokens
        tokens[best_idx:best_idx + 2] = [best_id]


if __name__ == '__main__':
    vocab, scores, ids = load(sys.argv[1])
    for text in sys.argv[2:]:
        print(repr(text), encode(vocab, scores, ids, text.encode()))
