"""Recurrent layers: SimpleRNN, LSTM, GRU (one fused primitive per call) and the wrappers
Bidirectional and TimeDistributed."""

from deltaw.keras.layers.recurrent.gru import GRU
from deltaw.keras.layers.recurrent.lstm import LSTM
from deltaw.keras.layers.recurrent.simple_rnn import SimpleRNN
from deltaw.keras.layers.recurrent.wrappers import Bidirectional, TimeDistributed, Wrapper

__all__ = ["GRU", "LSTM", "Bidirectional", "SimpleRNN", "TimeDistributed", "Wrapper"]
