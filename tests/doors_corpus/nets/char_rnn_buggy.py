# A character-level vanilla RNN (tanh hidden state, softmax over the vocabulary) in the
# style of the minimal char-rnn gist: the weights are module globals, and one function runs
# a sequence forward and backward and returns the loss, the five gradients in the order of
# the weights, and the last hidden state to carry into the next sequence.
import numpy as np

data = "a cat sat on a mat and a bat"
chars = sorted(set(data))
vocab_size = len(chars)
char_to_ix = {ch: i for i, ch in enumerate(chars)}

hidden_size = 6
seq_length = 8
learning_rate = 1e-1

rng = np.random.RandomState(42)
Wxh = rng.randn(hidden_size, vocab_size) * 0.3
Whh = rng.randn(hidden_size, hidden_size) * 0.3
Why = rng.randn(vocab_size, hidden_size) * 0.3
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t, ix in enumerate(inputs):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][ix] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        scores = Why @ hs[t] + by
        ps[t] = np.exp(scores - scores.max()) / np.sum(np.exp(scores - scores.max()))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


inputs = [char_to_ix[ch] for ch in data[:seq_length]]
targets = [char_to_ix[ch] for ch in data[1:seq_length + 1]]
hprev = np.zeros((hidden_size, 1))
