"""Train an image classifier from a YAML config: `python train.py [--config PATH] [key.sub=value ...]`.

The same as the `atnn-train` console script; see README.md and nbs/90_cli.ipynb."""
from atnn.cli import main

if __name__ == '__main__': raise SystemExit(main())
