/** Image data sources for training: a folder of PNGs, and the procedural toy world whose images carry their ground truth. */
package io.github.dragganjvm.data;
