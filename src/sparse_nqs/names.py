"""Names and numbers that several parts of the pipeline share, each defined once.

The config schema (``config/schema.yaml``) repeats the allowed values for its users; a test checks
that its enums equal the tuples here. Modules that give a name a meaning (which weights a pruning
method removes, what a ticket variant is made of) key their tables by these names.
"""

# ----------------------------------------------------------------------------- systems
#: physical models (docs/science.md, "Systems")
MODELS = ("tfim", "toric")
#: boundary conditions of the TFIM lattice (the toric code is always periodic)
BOUNDARIES = ("open", "periodic")
#: critical field of the infinite 2D TFIM (quantum Monte Carlo, Bloete and Deng 2002), the paper's kappa_c
KAPPA_C = 3.04438
#: relative tolerance when deciding that a run's kappa is kappa_c
KAPPA_C_RTOL = 1e-3
#: toric-code critical density of the paper: 16 weights per spin = 32 per plaquette
TORIC_RHO_C = 16.0

# ----------------------------------------------------------------------------- networks and sampling
NETWORK_KINDS = ("ffnn", "cnn", "rescnn")
PADDINGS = ("valid", "same", "circular")
CONV_INITS = ("lecun", "he")
#: Metropolis proposals: single spin flips, or single flips and star flips (toric code); auto = by model
PROPOSALS = ("auto", "local", "local+star")

# ----------------------------------------------------------------------------- pruning
#: pruning methods: magnitude pruning with rewinding, with continued training, random with rewinding
PRUNING_METHODS = ("imp_wr", "imp_ct", "irp_wr")
#: isolated tickets T(theta_init, m_imp), T(theta_rand, m_imp), T(theta_init, m_rand)
TICKET_VARIANTS = ("init_imp", "rand_imp", "init_rand")
#: the RBM family's tickets: those, and T(theta_init, m_cluster), the source's constructed cluster mask (sc)
RBM_TICKET_VARIANTS = TICKET_VARIANTS + ("cluster",)

# ----------------------------------------------------------------------------- references
#: how a system's reference energy is computed
REFERENCE_METHODS = ("auto", "ed", "dmrg", "analytic")
DMRG_BACKENDS = ("tenpy", "itensors")
#: what a figure's errors are measured against: the system's record, or the best dense NQS runs
REFERENCE_KINDS = ("record", "nqs")

# ----------------------------------------------------------------------------- enumeration limits
# ----------------------------------------------------------------------------- evaluation
#: the version of each family's evaluation code (vmc: sparse_nqs.vmc.evaluation and .full_sum; rbm:
#: sparse_nqs.rbm.evaluation): part of every evaluation's fingerprint, so raising it re-evaluates every
#: stored state of that family (the workflow's evaluate rules rerun, no training). vmc 2: exact values
#: by chunked full summation up to evaluation.exact_memory_mb (before: N <= 16), Monte Carlo diagnostics.
EVALUATION_VERSION = {"vmc": 2, "rbm": 1}

# Full enumeration of 2^N configurations: where each exact quantity is still affordable (a trained
# network's energy, observables and fidelities: evaluation.exact_memory_mb, sparse_nqs.vmc.full_sum).
#: exact energy of the toric-code odd-parity construction (L = 3: 2^18 states)
TORIC_CONSTRUCTION_MAX_SPINS = 18
#: largest N that reference ``method="auto"`` sends to ED. Measured on the 2-core development machine
#: (TFIM, 8 levels, all observables): N = 20 takes 30 s and 3.8 GB; N = 22 takes 230 s and 16 GB.
ED_AUTO_MAX_SPINS = 20
#: hard limit of an explicit ``method="ed"`` (N = 24 would need about 64 GB)
ED_MAX_SPINS = 22

# ----------------------------------------------------------------------------- figures
FIGURES = ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7")
#: the RBM family's targets (Golubeva and Melko 2022, and the paper's lottery-ticket questions asked of it)
RBM_FIGURES = ("rbm_fig1", "rbm_fig2", "rbm_fig3", "rbm_fig4", "rbm_fig5", "rbm_fig6", "rbm_table1", "rbm_lth")
