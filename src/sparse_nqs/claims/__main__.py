"""Print a claims table as Markdown: python -m sparse_nqs.claims results/claims.csv [--status pass fail]"""

import argparse

import pandas as pd

from . import claims_markdown
from .common import STATUSES

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m sparse_nqs.claims", description=__doc__.splitlines()[0])
    parser.add_argument("table", help="a claims table (results/claims.csv, or a publication's claims.csv)")
    parser.add_argument("--status", nargs="+", choices=STATUSES, metavar="STATUS",
                        help=f"only the rows of these statuses ({', '.join(STATUSES)}); the summary line counts all")
    args = parser.parse_args()
    table = pd.read_csv(args.table)
    print(claims_markdown(table, statuses=args.status), end="")
