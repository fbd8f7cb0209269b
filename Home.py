"""ResNet Explorer: the entry page (``streamlit run Home.py``)."""

import streamlit as st

from explorer.ui import common, frame, server

with frame.page("ResNet Explorer", ":material/explore:"):
    spec, size = common.model_sidebar()

    st.markdown(
        """
    **See why residual networks work.** A residual block does not learn its output H(x) directly: it learns the
    *residual* F(x) = H(x) − x and adds its input back through a shortcut,

    $$y = F(x) + x .$$

    With that one addition, networks of 50, 101 or 152 layers train better than shallower ones, where the same
    networks *without* shortcuts ("plain" nets) train worse as they get deeper (He et al. 2015).
    """
    )
    st.page_link(
        "pages/1_Architecture.py",
        label="Architecture: the paper's Table 1, live, and the block diagram",
        icon=":material/account_tree:",
    )
    st.page_link(
        "pages/2_Image_lab.py",
        label="Image lab: predictions, Grad-CAM and feature maps of every residual block for your image",
        icon=":material/image_search:",
    )
    st.page_link(
        "pages/3_Shapes_dataset.py",
        label="Shapes dataset: images with known truth, the explorer's own trained models, scored explanations",
        icon=":material/category:",
    )
    st.page_link(
        "pages/4_Gradient_lab.py",
        label="Gradient lab: the backward signal with and without skip connections, live (the classroom demo)",
        icon=":material/monitoring:",
    )
    st.page_link(
        "pages/5_Lesions_and_paths.py",
        label="Lesions and paths: delete or reorder blocks of trained nets, and where the gradient flows (Veit et al.)",
        icon=":material/content_cut:",
    )
    st.page_link(
        "pages/6_Loss_landscape.py",
        label="Loss landscape: the training loss around trained weights, residual vs plain (Li et al.)",
        icon=":material/landscape:",
    )
    st.page_link(
        "pages/7_Receptive_fields.py",
        label="Receptive fields: what each block can see, and what it actually looks at (Luo et al.)",
        icon=":material/center_focus_strong:",
    )
    st.page_link(
        "pages/8_Variants_side_by_side.py",
        label="Variants side by side: two to four ResNets on one image, stage by stage, with their cost and time",
        icon=":material/view_column:",
    )
    st.page_link(
        "pages/9_Transfer_learning.py",
        label="Transfer learning: fine-tune trained weights with stages frozen, against training from scratch",
        icon=":material/swap_horiz:",
    )
    st.markdown(
        f"""
    The sidebar's model picker acts on the **Architecture** page, the **Image lab** and the theoretical **Receptive
    fields**: **{spec.label}** at
    {size}×{size} right now. Switch *Skip connections* off to get its plain counterpart — the same layers with the
    shortcuts removed — and compare. The Shapes dataset, the Gradient lab, Lesions and paths, the Loss landscape, the
    effective receptive fields, Variants side by side and Transfer learning bring their own models. *Projector mode*
    enlarges type and lines on every page; every page's settings stay in its address, so a prepared page can be
    bookmarked.

    Everything this app shows is computed from the models it builds (on {server.device_label()}); nothing is typed in.
    The same functions work without the app: see `python -m explorer --help` and the README.
    """
    )
