"""Corpora read from a folder of WAV files and a labels CSV, through features extracted by
`emorec.audio` (launch/extract_audio.py): `config.py` builds their data configs, `folds.py`
their speaker splits, `normalise.py` the feature standardisation and `load.py` the `Corpus`.
"""
