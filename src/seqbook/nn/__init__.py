"""Reference implementations in numpy, each checked against PyTorch in ``tests/``.

Conventions follow PyTorch: weights ``(out, in)``, two biases, RNN layout ``(T, B, .)``,
attention/Transformer layout ``(B, T, .)``; attention masks are True where a query may attend.

Modules (import them by name, e.g. ``from seqbook.nn import lstm``): ``functional`` (sigmoid,
softmax, log_softmax, gelu, relu), ``rnn`` (forward, BPTT, truncated BPTT, RTRL,
Schmidhuber's hybrid), ``gradient_flow`` (Jacobians through time), ``lstm`` (with peepholes,
no forget gate, focused and lightweight variants, gate-bias sequences), ``convlstm`` (Shi et
al. 2015), ``mdlstm`` (a 2-D multidimensional LSTM scan), ``gru``, ``layers`` (stacked and
bidirectional RNN/GRU/LSTM as in torch, and their parameter counts), ``highway``, ``dropout``
(dropout and zoneout for RNNs), ``norm`` (layer and batch norm), ``attention``,
``transformer``, ``bert``, ``embeddings`` (one-hot, LSA, word2vec), ``optim`` (SGD, momentum,
AdaGrad, RMSProp, Adam; gradient clipping), ``conv`` (1-D convolution).
"""
