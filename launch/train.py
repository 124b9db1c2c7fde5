"""Trains one configuration: `python launch/train.py --config=configs/synthetic.py --workdir=DIR`.

Override any field: `--config.train.num_steps=500 --config.data.label_fraction=0.1`.
Rerunning the same command resumes from the last checkpoint in --workdir.
"""

from emorec.experiments import cli

if __name__ == '__main__':
  cli.run_train()
