"""ResNet Explorer: the entry page (``streamlit run Home.py``)."""

import streamlit as st

from explorer import glossary
from explorer.language import N_, _
from explorer.ui import common, frame, navigation, server

with frame.page("Home"):
    links = {  # what each page shows, by its title
        "Architecture": N_("Architecture: the paper's Table 1, live, and the block diagram"),
        "Image lab": N_("Image lab: predictions, Grad-CAM and feature maps of every residual block for your image"),
        "Shapes dataset": N_(
            "Shapes dataset: images with known truth, the explorer's own trained models, scored explanations"
        ),
        "Gradient lab": N_(
            "Gradient lab: the backward signal with and without skip connections, live (the classroom demo)"
        ),
        "Lesions and paths": N_(
            "Lesions and paths: delete or reorder blocks of trained nets, and where the gradient flows (Veit et al.)"
        ),
        "Loss landscape": N_("Loss landscape: the training loss around trained weights, residual vs plain (Li et al.)"),
        "Receptive fields": N_("Receptive fields: what each block can see, and what it actually looks at (Luo et al.)"),
        "Variants side by side": N_(
            "Variants side by side: two to four ResNets on one image, stage by stage, with their cost and time"
        ),
        "Transfer learning": N_(
            "Transfer learning: fine-tune trained weights with stages frozen, against training from scratch"
        ),
    }
    spec, size = common.model_sidebar()

    st.markdown(
        _(
            "**See why residual networks work.** A residual block does not learn its output H(x) directly: it "
            "learns the *residual* F(x) = H(x) − x and adds its input back through a shortcut,\n\n"
            "$$y = F(x) + x .$$\n\n"
            "With that one addition, networks of 50, 101 or 152 layers train better than shallower ones, where the "
            'same networks *without* shortcuts ("plain" nets) train worse as they get deeper (He et al. 2015).'
        )
    )
    for title, label in links.items():
        st.page_link(navigation.page_file(title), label=_(label), icon=navigation.ICONS[title])
    st.markdown(
        _(
            "The sidebar's model picker acts on the **Architecture** page, the **Image lab** and the theoretical "
            "**Receptive fields**: **{model}** at {size}×{size} right now. Switch *Skip connections* off to get its "
            "plain counterpart — the same layers with the shortcuts removed — and compare. The Shapes dataset, the "
            "Gradient lab, Lesions and paths, the Loss landscape, the effective receptive fields, Variants side by "
            "side and Transfer learning bring their own models. *Projector mode* enlarges type and lines on every "
            "page; every page's settings stay in its address, so a prepared page can be bookmarked.\n\n"
            "Everything this app shows is computed from the models it builds (on {device}); nothing is typed in. "
            "The same functions work without the app: see `python -m explorer --help` and the README."
        ).format(model=spec.label, size=size, device=server.device_label())
    )
    with st.expander(_("Glossary: English ↔ 中文"), key="home.glossary"):
        common.table(glossary.rows())
