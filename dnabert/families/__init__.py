"""Model families: each is a tokenizer (token ids + the bases each token covers) and an encoder.

See :mod:`dnabert.families.loading` for which folder is which family.
"""
