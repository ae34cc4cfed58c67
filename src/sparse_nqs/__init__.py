"""sparse_nqs: sparse neural-network quantum states, pruned by iterative magnitude pruning.

The reproduction of Barton, Carrasquilla, Roth, Valenti (2025), one concept per subpackage:

* :mod:`sparse_nqs.physics` - the TFIM and the toric code, exact diagonalisation, DMRG, reference records
* :mod:`sparse_nqs.networks` - masked FFNN, CNN and ResCNN (Flax)
* :mod:`sparse_nqs.vmc` - Metropolis sampling, VMC with stochastic reconfiguration, evaluation
* :mod:`sparse_nqs.pruning` - the pruning schedule, the IMP-WR / IMP-CT / IRP-WR loops, isolated tickets
* :mod:`sparse_nqs.analysis` - fidelity, reference energies and scaling regions, toric-code filters
* :mod:`sparse_nqs.results` - :class:`~sparse_nqs.results.FigureTables`, the query API of finished results
* :mod:`sparse_nqs.figures`, :mod:`sparse_nqs.claims` - the paper's figures and its checkable claims
* :mod:`sparse_nqs.plan`, :mod:`sparse_nqs.config`, :mod:`sparse_nqs.settings`, :mod:`sparse_nqs.paths`,
  :mod:`sparse_nqs.names` - what a config implies, its check, the typed settings, every output file,
  and the shared names and numbers

Importing the package sets nothing process-wide; entry points call :func:`sparse_nqs.runtime.configure`.
The library knows nothing of Snakemake: the workflow calls it through ``scripts/``.
"""
