"""Print a claims table as Markdown: python -m sparse_nqs.claims results/claims.csv"""

import sys

import pandas as pd

from . import claims_markdown

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m sparse_nqs.claims results/claims.csv")
    print(claims_markdown(pd.read_csv(sys.argv[1])), end="")
