"""The image lab: predictions, Grad-CAM of every block, feature maps, branch sizes and captum methods."""
