#!/usr/bin/env python3
"""Independent brute-force Hugging Face BPE over a tokenizer.json (the subset
tinystories-656k uses: Prepend/Replace normalizers, no pre-tokenizer, normalized
added tokens); prints the figures TokenizerTest.cpp expects.
Usage: hf_bpe_reference.py tokenizer.json TEXT_FILE [CHARS]"""
import json
import sys


def normalize(spec, text):
    if spec is None:
        return text
    if spec['type'] == 'Sequence':
        for inner in spec['normalizers']:
            text = normalize(inner, text)
        return text
    if spec['type'] == 'Prepend':
        return spec['prepend'] + text if text else text
    if spec['type'] == 'Replace':
        return text.replace(spec['pattern']['String'], spec['content'])
    raise SystemExit('unsupported normalizer ' + spec['type'])


def split_added(text, patterns):
    """Leftmost-longest split; yields ('id', n) or ('text', s)."""
    start = i = 0
    while i < len(text):
        hits = [p for p in patterns if text.startswith(p, i)]
        if hits:
            best = max(hits, key=len)
            if i > start:
                yield 'text', text[start:i]
            yield 'id', patterns[best]
            i = start = i + len(best)
        else:
            i += 1
    if start < len(text):
        yield 'text', text[start:]


def barriers(text, vocab):
    """Boundaries between characters that no vocabulary token spans where it
    occurs in `text`: no merge can ever cross them, so the pieces between them
    merge independently and the quadratic loop below stays affordable."""
    covered = bytearray(len(text) + 1)
    for token in vocab:
        if len(token) < 2:
            continue
        at = text.find(token)
        while at != -1:
            covered[at + 1:at + len(token)] = b'\x01' * (len(token) - 1)
            at = text.find(token, at + 1)
    return [i for i in range(1, len(text)) if not covered[i]]


def bpe(symbols, ranks):
    while True:
        best = None
        for k in range(len(symbols) - 1):
            rank = ranks.get((symbols[k], symbols[k + 1]))
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, k)
        if best is None:
            return symbols
        k = best[1]
        symbols[k:k + 2] = [symbols[k] + symbols[k + 1]]


def encode(tok, text):
    model = tok['model']
    vocab = model['vocab']
    ranks = {}
    for rank, merge in enumerate(model['merges']):
        pair = tuple(merge.split(' ')) if isinstance(merge, str) else tuple(merge)
        ranks[pair] = rank  # a repeated pair keeps its last rank, as in tokenizers
    patterns = {normalize(tok['normalizer'], t['content']): t['id']
                for t in tok['added_tokens'] if t['normalized']}
    ids = [1]
    for kind, piece in split_added(normalize(tok['normalizer'], text), patterns):
        if kind == 'id':
            ids.append(piece)
            continue
        cuts = [0] + barriers(piece, vocab) + [len(piece)]
        for a, b in zip(cuts, cuts[1:]):
            ids.extend(vocab[s] for s in bpe(list(piece[a:b]), ranks))
    return ids


def fnv1a64(ids):
    h = 0xcbf29ce484222325
    for i in ids:
        for byte in i.to_bytes(4, 'little'):
            h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


if __name__ == '__main__':
    tok = json.load(open(sys.argv[1], encoding='utf-8'))
    text = open(sys.argv[2], encoding='utf-8').read()
    if len(sys.argv) > 3:
        text = text[:int(sys.argv[3])]
    ids = encode(tok, text)
    print('count', len(ids))
    print('fnv1a64 0x%016x' % fnv1a64(ids))
    print('first50', ids[:50])
    print('last50', ids[-50:])
