# Two-site DMRG of the 2D transverse-field Ising model with ITensors / ITensorMPS, called from
# Python through juliacall (sparse_nqs.dmrg.itensors_backend). The authors' reference runs used
# this library with the same settings: row-major MPS path, a random initial MPS, no noise term.
#
#   H = - sum_{(i,j) in bonds} Z_i Z_j - kappa sum_i X_i
#
# Bonds arrive 0-based from Python (the lattice is defined once, in sparse_nqs.models).
# Pauli operators are written with the spin-1/2 operators, Z = 2 Sz and X = 2 Sx.
module TFIMDMRG

using ITensors
using ITensorMPS
using Random

export tfim_dmrg

"""Records, per sweep, the energy, the largest discarded weight and the largest bond dimension."""
mutable struct SweepRecorder <: ITensorMPS.AbstractObserver
    energies::Vector{Float64}
    truncerrs::Vector{Float64}
    maxlinkdims::Vector{Int}
end
SweepRecorder() = SweepRecorder(Float64[], Float64[], Int[])

function ITensorMPS.measure!(r::SweepRecorder; energy, psi, bond, sweep, half_sweep, spec, kwargs...)
    while length(r.energies) < sweep
        push!(r.energies, NaN)
        push!(r.truncerrs, 0.0)
        push!(r.maxlinkdims, 0)
    end
    if spec !== nothing
        r.truncerrs[sweep] = max(r.truncerrs[sweep], spec.truncerr)
    end
    if bond == 1 && half_sweep == 2  # the last update of the sweep
        r.energies[sweep] = real(energy)
        r.maxlinkdims[sweep] = maxlinkdim(psi)
    end
    return nothing
end

"""
    mps_arrays(psi)

The tensors of `psi` as plain arrays (chi_left, 2, chi_right) for sampling on the Python side
(sparse_nqs.physics.dmrg.sampling): orthogonality centre on the first site, so every later tensor is
right-orthonormal; physical index 1 = "Up" (Z = +1), as the Python side's index 0.
"""
function mps_arrays(psi::MPS)
    psi = orthogonalize(psi, 1)
    n = length(psi)
    arrays = Array{Float64,3}[]
    for i in 1:n
        s = siteind(psi, i)
        left = i > 1 ? linkind(psi, i - 1) : nothing
        right = i < n ? linkind(psi, i) : nothing
        order = filter(!isnothing, [left, s, right])
        a = real.(Array(psi[i], order...))
        push!(arrays, reshape(a, isnothing(left) ? 1 : dim(left), dim(s), isnothing(right) ? 1 : dim(right)))
    end
    return arrays
end

"""
    tfim_dmrg(n_sites, bonds, kappa, maxdims, nsweeps, cutoff, init_linkdim, seed, keep_mps)

Ground state of the TFIM on `n_sites` spins with couplings on the rows of `bonds` (an n_bonds x 2
integer matrix of 0-based site pairs). Returns a NamedTuple of plain arrays for the Python side;
with `keep_mps` also the MPS tensors (`mps_arrays`; an empty list otherwise: at chi = 3000 they are
gigabytes, and a reference record does not need them).
"""
function tfim_dmrg(n_sites::Integer, bonds::AbstractMatrix{<:Integer}, kappa::Real,
                   maxdims::AbstractVector{<:Integer}, nsweeps::Integer, cutoff::Real,
                   init_linkdim::Integer, seed::Integer, keep_mps::Bool)
    Random.seed!(seed)
    sites = siteinds("S=1/2", n_sites)
    os = OpSum()
    for k in 1:size(bonds, 1)
        os += -4.0, "Sz", bonds[k, 1] + 1, "Sz", bonds[k, 2] + 1
    end
    for i in 1:n_sites
        os += -2.0 * kappa, "Sx", i
    end
    H = MPO(os, sites)
    psi0 = random_mps(sites; linkdims=init_linkdim)
    recorder = SweepRecorder()
    energy, psi = dmrg(H, psi0; nsweeps=nsweeps, maxdim=collect(Int, maxdims),
                       cutoff=Float64(cutoff), noise=0.0, observer=recorder, outputlevel=0)
    mx_sites = 2.0 .* real.(expect(psi, "Sx"))
    mz_sites = 2.0 .* real.(expect(psi, "Sz"))
    zz = 4.0 .* real.(correlation_matrix(psi, "Sz", "Sz"))
    xx = 4.0 .* real.(correlation_matrix(psi, "Sx", "Sx"))
    return (energy=Float64(real(energy)), mx_sites=mx_sites, mz_sites=mz_sites, zz=zz, xx=xx,
            mps=keep_mps ? mps_arrays(psi) : Array{Float64,3}[],
            sweep_energies=recorder.energies, sweep_truncerrs=recorder.truncerrs,
            sweep_maxlinkdims=recorder.maxlinkdims,
            itensors_version=string(pkgversion(ITensors)),
            itensormps_version=string(pkgversion(ITensorMPS)))
end

end # module
