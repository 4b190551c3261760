TITLE NMDA receptor synapse with the Jahr and Stevens (1990) magnesium block

COMMENT
Dendra reference mechanism (used by reference/make_traces.py for the synapses of
kind "nmda" in reference/models/*.json).

Conductance: the difference of two exponentials, rising with tau_rise and
decaying with tau_decay, scaled so that one event of weight w peaks at exactly
w (uS): the same normalisation as NEURON's built-in Exp2Syn.

Magnesium block (Jahr and Stevens 1990, J Neurosci 10:3178):
    mgblock(v) = 1 / (1 + mg/3.57 * exp(-0.062 * v))     (mg in mM, v in mV)

Current:  i = g * mgblock(v) * (v - e)

The parameter names tau1 (rise), tau2 (decay), e and mg follow Exp2Syn, so a
script can set either kind of synapse the same way.
ENDCOMMENT

NEURON {
    POINT_PROCESS NmdaJahrStevens
    RANGE tau1, tau2, e, mg
    RANGE g, mgblock, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    tau1 = 2 (ms) <1e-9, 1e9>   : rise time constant
    tau2 = 65 (ms) <1e-9, 1e9>  : decay time constant
    e = 0 (mV)                  : reversal potential
    mg = 1 (mM)                 : external magnesium
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)                      : unblocked conductance
    mgblock (1)                 : fraction of channels not blocked by Mg2+
    peak_scale (1)              : makes the peak of one event equal its weight
}

STATE {
    rise (uS)
    decay (uS)
}

INITIAL {
    LOCAL t_peak
    rise = 0
    decay = 0
    : time of the peak of exp(-t/tau2) - exp(-t/tau1)
    t_peak = (tau1 * tau2) / (tau2 - tau1) * log(tau2 / tau1)
    peak_scale = 1 / (exp(-t_peak / tau2) - exp(-t_peak / tau1))
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    mgblock = 1 / (1 + mg / 3.57 * exp(-0.062 * v))
    g = decay - rise
    i = g * mgblock * (v - e)
}

DERIVATIVE kinetics {
    rise' = -rise / tau1
    decay' = -decay / tau2
}

NET_RECEIVE(weight (uS)) {
    rise = rise + weight * peak_scale
    decay = decay + weight * peak_scale
}
