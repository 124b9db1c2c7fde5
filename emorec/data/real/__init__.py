"""Real corpora (IEMOCAP, MELD, CMU-MOSEI) from the formats people have on disk.

Readers, one per release format, yield `Utterance`s (`utterance.py`): CMU-MultimodalSDK
computational sequences (`csd.py`, `mosei.py`), the Multimodal-Transformer aligned pickles
(`mult.py`), the conv-emotion dialogue pickles (`conv_emotion.py`), and the official MELD CSVs
with the release's feature pickles or our lexical features (`meld.py`, `lexical.py`);
`formats.py` names them by corpus and reader; `textfile.py` reads their text files as UTF-8.
`checks.py` screens each utterance (and holds the checks readers share); `builder.py`
writes them as a TFDS dataset from its manual directory; `store.py` reads a prepared dataset
into memory; `targets.py` and `splits.py` apply a protocol's classes and splits (IEMOCAP
sessions: `iemocap.py`); `load.py` turns a data config into a `Corpus`, and `config.py` builds
such data configs (configs/iemocap.py, meld.py, mosei.py).
"""
