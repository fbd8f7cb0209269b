"""Gradient lab: the backward signal with and without skip connections, at initialisation and while training."""

import time
from dataclasses import replace

import streamlit as st

from explorer import gradlab
from explorer.gradlab.figures import curves_figure, degradation_figure, early_steps_figure, heatmap_figure, layer_figure
from explorer.language import N_, _, separated
from explorer.ui import common, frame
from explorer.ui import gradlab as gradlab_ui

with frame.page("Gradient lab"):
    st.sidebar.caption(
        _(
            "This page builds its own pair of CIFAR-style nets from the settings below; the model picker of the other "
            "pages does not act here."
        )
    )
    st.markdown(
        _(
            "Two CIFAR-style nets side by side — **plain** (red) and **residual** (blue), the same depth, width, "
            "initialisation, seed and data — and the size of the gradient at every layer. A residual block's backward "
            "pass is ∂L/∂x = ∂L/∂y · (1 + ∂F/∂x): the **1** carries the signal back unchanged however deep the net "
            "(He et al. 2016). Without it the signal is multiplied by every layer's Jacobian on the way back, and can "
            "vanish or explode."
        )
    )
    config = gradlab_ui.controls()
    if preset := st.session_state.get(f"choice.{gradlab_ui.PRESET}"):
        st.info(_(gradlab.PRESET_NOTES[preset]), icon=":material/school:")

    st.header(_("At initialisation"))
    profiled = replace(config, image_size=gradlab.PROFILE_IMAGE_SIZE)
    profiles = gradlab_ui.initial_profiles(profiled)
    left, right = st.columns(2)
    with left:
        st.markdown(_("**The backward signal** ‖∂L/∂a‖ at each layer's output"))
        common.chart(layer_figure(profiles, "signal"), key="grad.signal")
        gradlab_ui.first_to_last(profiles, "signal")
    with right:
        st.markdown(_("**What moves each layer** ‖∂L/∂W‖ / ‖W‖ of its kernels"))
        common.chart(layer_figure(profiles, "relative"), key="grad.relative")
        gradlab_ui.first_to_last(profiles, "relative")
    st.markdown(gradlab.profile_reading(profiles, profiled))
    with st.expander(_("The forward signal, and how this is measured"), key="grad.forward_more"):
        common.chart(layer_figure(profiles, "activation_std"), key="grad.forward")
        st.caption(
            _(
                "The spread (standard deviation) of each layer's output on the same batch. All three figures: log "
                "scales labelled in decades, layers from the input (left) to the output (right), one batch of 64 "
                "images at {size}×{size} (on 8×8 maps the zero padding of the 3×3 convolutions distorts the picture)."
            ).format(size=gradlab.PROFILE_IMAGE_SIZE)
        )

    st.header(_("Over the first training steps"))
    early = gradlab_ui.early_steps(profiled)
    if early:
        common.chart(early_steps_figure(early), key="grad.early_figure")
        st.markdown(gradlab.early_reading(early))
    else:
        st.caption(
            _(
                "Both nets train {steps} steps on the same batches and are measured again after {after} of them "
                "(about 20 s on 2 CPU cores at depth 56): does the profile at initialisation last?"
            ).format(steps=max(gradlab.EARLY_STEPS), after=separated(gradlab.EARLY_STEPS[1:]))
        )

    st.header(_("Train both nets live"))
    recorded = gradlab_ui.recorded_run(config)
    start, replay = st.columns(2)
    started = start.button(_("Train {steps} steps").format(steps=config.steps), type="primary", key="grad.start")
    replaying = recorded is not None and replay.button(
        _("Replay the recording of {made}").format(made=common.plain(recorded.made)), key="grad.replay"
    )
    progress = st.container()
    status, heat, curves = st.empty(), st.empty(), st.empty()
    nets = list(gradlab.NETS)
    if started:
        run = gradlab_ui.LiveRun(config)
        began = time.perf_counter()
        with progress:
            for step in gradlab_ui.train_live(run):
                rate = f"{step / (time.perf_counter() - began):.1f}"
                status.caption(
                    _("step {step} of {steps} · {rate} steps per second").format(
                        step=step, steps=config.steps, rate=rate
                    )
                )
                heat.plotly_chart(heatmap_figure(run.records, nets), key=f"grad.heat.{step}")
                curves.plotly_chart(curves_figure(run.records, nets), key=f"grad.curves.{step}")
    else:
        run = gradlab_ui.replayed(recorded, config) if replaying else gradlab_ui.last_run()
    if run and run.records:
        last = run.records[-1].step
        if run.recording is not None:
            made = run.recording
            status.caption(
                _("A recording made {made} on {device}, with the settings above ({steps} steps).").format(
                    made=common.plain(made.made), device=common.plain(made.device), steps=last
                )
            )
            shown_step = st.slider(_("Replay up to step"), 1, last, last, key="grad.replay_step")
            shown_records = [r for r in run.records if r.step <= shown_step]
        else:
            done = (
                _("Recorded run (stopped at step {step} of {steps}).")
                if run.stopped
                else _("Recorded run (finished at step {step} of {steps}).")
            )
            status.caption(done.format(step=last, steps=run.config.steps))
            shown_records = run.records
        heat.plotly_chart(heatmap_figure(shown_records, nets), key="grad.heat.final")
        curves.plotly_chart(curves_figure(shown_records, nets), key="grad.curves.final")
        st.download_button(
            _("Download the recorded run (CSV)"), lambda: gradlab.records_to_csv(run.records, run.config),
            file_name="gradient_run.csv", mime="text/csv", on_click="ignore", key="grad.download",
        )  # fmt: skip
        st.caption(
            _(
                "Heatmaps: log10 ‖∂L/∂a‖ for every layer (rows, input at the bottom) and step (columns), one colour "
                "scale for both nets — yellow is the largest gradient of the run, dark blue the smallest. Curves: loss "
                "and accuracy on each training batch."
            )
        )

    st.header(_("The degradation problem (paper Fig. 1, in miniature)"))
    st.markdown(
        _(
            'He et al. (2015, §4.1) on plain nets: *"We argue that this optimization difficulty is unlikely to be '
            "caused by vanishing gradients. These plain networks are trained with BN, which ensures forward propagated "
            "signals to have non-zero variances. We also verify that the backward propagated gradients exhibit healthy "
            'norms with BN."* Healthy here means not vanishing (the growth above is the other side of it). And yet the '
            "deeper plain net trains **worse**. Train plain-20, plain-56, ResNet-20 and ResNet-56 on the same digits "
            "and compare their training loss."
        )
    )
    steps = common.choice(st.select_slider, _("Steps"), "demo_steps", 400, options=[100, 200, 400, 800])
    demo = gradlab_ui.degradation(steps, lambda: st.button(_("Run the degradation demo (four nets)"), key="grad.demo"))
    if demo is not None:
        shown_curves = gradlab.curves_from_results(demo.results)
        common.chart(degradation_figure(shown_curves), key="grad.degradation")
        common.table(
            [
                {N_("net"): label, N_("training loss (last 50 steps)"): f"{c.final_loss():.3f}",
                 N_("training error (last 50 steps)"): f"{c.final_error():.1%}"}
                for label, c in shown_curves.items()
            ],
        )  # fmt: skip
        st.caption(
            _(
                "{reading} A recording made {made} on {device} ({steps} steps, seed 0, digits 8×8, batch norm, He "
                "init, SGD with learning rate 0.05 and momentum 0.9, batch 64); it is kept on disk, so the next class "
                "sees it at once."
            ).format(
                reading=gradlab.degradation_reading(shown_curves),
                made=common.plain(demo.made),
                device=common.plain(demo.device),
                steps=steps,
            )
        )
